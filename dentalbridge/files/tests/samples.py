"""Deterministic generators of files that identify a (fictional) patient, for the anonymization
tests. Every identifying value is in ``IDENTIFYING``; a derivative must contain none of them."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
from pathlib import Path

PATIENT_PN = "Doe^Jane"
PATIENT_NAME = "Jane Doe"
PATIENT_ID = "DB-PAT-0042"
OTHER_PATIENT_ID = "OTHER-7731"
BIRTH_DATE = "19800402"
BIRTH_DATE_ISO = "1980-04-02"
STUDY_DATE = "20240506"
EMAIL = "jane.doe@patients.example"
ADDRESS = "12 Elm Street Springfield"
PHONE = "+1-555-0100"
INSTITUTION = "Smile Dental Clinic"
REFERRING = "Smith^John^Dr"
OPERATOR = "Miller^Anna"
STATION = "CBCT-ROOM-3"
ACCESSION = "ACC-998877"
MAKER_NOTE = "MAKERNOTE serial 4711 owner Jane Doe"
GPS_LATITUDE = (52.0, 31.0, 12.25)

IDENTIFYING = [
    PATIENT_PN,
    PATIENT_NAME,
    "Jane_Doe",
    "Doe_Jane",
    "Jane",
    PATIENT_ID,
    OTHER_PATIENT_ID,
    BIRTH_DATE,
    BIRTH_DATE_ISO,
    STUDY_DATE,
    EMAIL,
    ADDRESS,
    PHONE,
    INSTITUTION,
    REFERRING,
    OPERATOR,
    STATION,
    ACCESSION,
    "drsmith",
]

# Fixed, recognisable original UIDs (a test checks none survives).
UID_ROOT = "1.2.826.0.1.3680043.10.1234"
STUDY_UID = f"{UID_ROOT}.1"
SERIES_UID = f"{UID_ROOT}.2"
FRAME_OF_REFERENCE_UID = f"{UID_ROOT}.3"


def sop_uid(index: int) -> str:
    return f"{UID_ROOT}.100.{index}"


# --- DICOM --------------------------------------------------------------------------------------


def _file_meta(sop_class: str, sop_instance: str):
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.SourceApplicationEntityTitle = "SMILEDENTAL"
    return meta


def _identify(ds) -> None:
    """Put the patient's identity in standard attributes, nested sequences and private tags."""
    from pydicom.dataset import Dataset

    ds.PatientName = PATIENT_PN
    ds.PatientID = PATIENT_ID
    ds.PatientBirthDate = BIRTH_DATE
    ds.PatientSex = "F"
    ds.PatientAddress = ADDRESS
    ds.PatientTelephoneNumbers = PHONE
    ds.PatientComments = f"Contact {EMAIL}"
    ds.InstitutionName = INSTITUTION
    ds.InstitutionAddress = ADDRESS
    ds.ReferringPhysicianName = REFERRING
    ds.OperatorsName = OPERATOR
    ds.StationName = STATION
    ds.AccessionNumber = ACCESSION
    ds.StudyID = "STUDY-42"
    ds.StudyDate = STUDY_DATE
    ds.StudyTime = "101112"
    ds.SeriesDate = STUDY_DATE
    ds.AcquisitionDate = STUDY_DATE
    ds.ContentDate = STUDY_DATE
    ds.InstanceCreationDate = STUDY_DATE

    other = Dataset()
    other.PatientID = OTHER_PATIENT_ID
    other.IssuerOfPatientID = INSTITUTION
    ds.OtherPatientIDsSequence = [other]

    request = Dataset()
    request.RequestedProcedureID = PATIENT_ID
    request.ScheduledProcedureStepID = "SPS-1"
    request.RequestingPhysician = REFERRING
    ds.RequestAttributesSequence = [request]

    # A sequence the profile keeps: the identity inside its item must still go.
    equipment = Dataset()
    equipment.Manufacturer = "DentalCam"
    equipment.InstitutionName = INSTITUTION
    equipment.StationName = STATION
    equipment.OperatorsName = OPERATOR
    equipment.ContributionDateTime = f"{STUDY_DATE}101112"
    equipment.ContributionDescription = "Reconstruction"
    block = equipment.private_block(0x0011, "DENTALBRIDGE NESTED", create=True)
    block.add_new(0x01, "LO", PATIENT_NAME)
    ds.ContributingEquipmentSequence = [equipment]

    block = ds.private_block(0x0009, "DENTALBRIDGE TEST", create=True)
    block.add_new(0x01, "PN", PATIENT_PN)
    block.add_new(0x02, "LO", PATIENT_ID)
    block.add_new(0x03, "DA", BIRTH_DATE)


def dicom_ct_slice(index: int, count: int, size: int = 16):
    """One CT slice of a series; ``index`` from 1. Slices after the first refer to the first."""
    import numpy as np
    from pydicom.dataset import Dataset
    from pydicom.uid import CTImageStorage

    ds = Dataset()
    ds.file_meta = _file_meta(CTImageStorage, sop_uid(index))
    ds.preamble = f"Preamble of {PATIENT_NAME}".encode().ljust(128, b"\0")
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid(index)
    ds.StudyInstanceUID = STUDY_UID
    ds.SeriesInstanceUID = SERIES_UID
    ds.FrameOfReferenceUID = FRAME_OF_REFERENCE_UID
    ds.Modality = "CT"
    ds.Manufacturer = "DentalCam"
    ds.SeriesNumber = 1
    ds.InstanceNumber = index
    ds.ImagePositionPatient = [0, 0, float(index)]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.SliceThickness = 1
    ds.PixelSpacing = [0.2, 0.2]
    _identify(ds)
    if index > 1:
        reference = Dataset()
        reference.ReferencedSOPClassUID = CTImageStorage
        reference.ReferencedSOPInstanceUID = sop_uid(1)
        ds.ReferencedImageSequence = [reference]

    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = size
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = -1024
    ds.RescaleSlope = 1
    pixels = (np.arange(size * size, dtype=np.int16).reshape(size, size) * (index + 1)) % 3000
    ds.PixelData = pixels.astype("<i2").tobytes()
    return ds


def write_dicom_series(directory: Path, count: int = 5, size: int = 16) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(1, count + 1):
        path = directory / f"Doe_Jane_{index:03d}.dcm"
        dicom_ct_slice(index, count, size).save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def write_secondary_capture(path: Path) -> Path:
    """A screenshot-like Secondary Capture that says BurnedInAnnotation YES."""
    import numpy as np
    from pydicom.dataset import Dataset
    from pydicom.uid import SecondaryCaptureImageStorage

    uid = f"{UID_ROOT}.200.1"
    ds = Dataset()
    ds.file_meta = _file_meta(SecondaryCaptureImageStorage, uid)
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = uid
    ds.StudyInstanceUID = STUDY_UID
    ds.SeriesInstanceUID = f"{UID_ROOT}.4"
    ds.Modality = "OT"
    ds.ConversionType = "WSD"
    ds.BurnedInAnnotation = "YES"
    _identify(ds)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 8
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = np.arange(64, dtype=np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_dicom_zip(path: Path, work: Path, count: int = 5) -> Path:
    """A ZIP as a practice exports it: a DICOMDIR, the series in a FileSet layout, and a readme
    that names the patient."""
    from pydicom.fileset import FileSet

    series = write_dicom_series(work / "series", count)
    fileset = FileSet()
    for slice_path in series:
        fileset.add(slice_path)
    layout = work / "fileset"
    fileset.write(layout)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(layout.rglob("*")):
            if member.is_file():
                archive.write(member, f"Doe_Jane_CBCT/{member.relative_to(layout).as_posix()}")
        archive.writestr("Doe_Jane_CBCT/README.txt", f"Study of {PATIENT_NAME}, {EMAIL}\n")
    return path


# --- Photos -------------------------------------------------------------------------------------

XMP_PACKET = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    f'dc:creator="{PATIENT_NAME}" dc:description="{EMAIL}"/>'
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
).encode()


def _iptc_app13() -> bytes:
    """An APP13 Photoshop segment with an IPTC record (object name, caption)."""

    def dataset(number: int, value: bytes) -> bytes:
        return bytes([0x1C, 2, number]) + struct.pack(">H", len(value)) + value

    iptc = dataset(5, PATIENT_NAME.encode()) + dataset(120, f"DOB {BIRTH_DATE_ISO}".encode())
    if len(iptc) % 2:
        iptc += b"\0"
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iptc)) + iptc
    payload = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


@functools.cache
def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _photo_exif(orientation: int):
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "DentalCam"
    exif[0x0110] = "IntraOral X"
    exif[0x013B] = PATIENT_NAME  # Artist
    exif[0x010E] = f"{PATIENT_NAME} {BIRTH_DATE_ISO}"  # ImageDescription
    exif[0x0132] = "2024:05:06 10:11:12"
    exif[0x8825] = {1: "N", 2: GPS_LATITUDE, 3: "E", 4: (13.0, 24.0, 36.5)}
    exif[0x8769] = {
        0x927C: MAKER_NOTE.encode(),  # MakerNote
        0x9286: b"ASCII\0\0\0" + EMAIL.encode(),  # UserComment
        0x9003: "2024:05:06 10:11:12",  # DateTimeOriginal
    }
    return exif


def _gradient(size: tuple[int, int]):
    import numpy as np
    from PIL import Image

    width, height = size
    x = np.linspace(0, 255, width, dtype=np.float64)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float64)[:, None]
    rgb = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB")


def write_jpeg(path: Path, orientation: int = 6) -> Path:
    """A JPEG with EXIF (GPS, maker note, orientation), XMP, IPTC, a COM comment, an ICC
    profile and bytes after the end of the image."""
    buffer = io.BytesIO()
    _gradient((64, 48)).save(
        buffer,
        "JPEG",
        quality=90,
        exif=_photo_exif(orientation).tobytes(),
        comment=f"Patient {PATIENT_NAME}".encode(),
        xmp=XMP_PACKET,
        icc_profile=srgb_profile(),
    )
    data = buffer.getvalue()
    data = data[:2] + _iptc_app13() + data[2:] + f"trailer {PATIENT_ID}".encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_png(path: Path, orientation: int = 6) -> Path:
    """A PNG with tEXt, zTXt, iTXt (and XMP), eXIf, tIME, an ICC profile and pHYs."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", PATIENT_NAME)
    info.add_text("Comment", f"DOB {BIRTH_DATE_ISO}", zip=True)
    info.add_itxt("Description", f"{PATIENT_NAME} {EMAIL}", lang="en", tkey="Description")
    info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())
    info.add(b"tIME", struct.pack(">HBBBBB", 2024, 5, 6, 10, 11, 12))
    path.parent.mkdir(parents=True, exist_ok=True)
    _gradient((40, 30)).save(
        path,
        "PNG",
        pnginfo=info,
        exif=_photo_exif(orientation).tobytes(),
        icc_profile=srgb_profile(),
        dpi=(300, 300),
    )
    return path


def write_tiff(path: Path, orientation: int = 6) -> Path:
    """A TIFF with description, artist, date, software, XMP, an ICC profile and orientation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _gradient((36, 20)).save(
        path,
        "TIFF",
        compression="tiff_adobe_deflate",
        icc_profile=srgb_profile(),
        dpi=(300, 300),
        tiffinfo={
            270: f"{PATIENT_NAME} {BIRTH_DATE_ISO}",
            315: PATIENT_NAME,
            306: "2024:05:06 10:11:12",
            305: "DentalCam 1.0",
            700: XMP_PACKET,
            274: orientation,
        },
    )
    return path


# --- Meshes -------------------------------------------------------------------------------------

CUBE_VERTICES = [
    (0.0, 0.0, 0.0),
    (1.0, 0.0, 0.0),
    (1.0, 1.0, 0.0),
    (0.0, 1.0, 0.0),
    (0.0, 0.0, 1.0),
    (1.0, 0.0, 1.0),
    (1.0, 1.0, 1.0),
    (0.0, 1.0, 1.0),
]
CUBE_FACES = [
    (0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4),
    (1, 2, 6), (1, 6, 5), (2, 3, 7), (2, 7, 6), (3, 0, 4), (3, 4, 7),
]  # fmt: skip


def stl_triangles() -> bytes:
    """The 50-byte records of a binary STL cube (normals zero, attribute = face index)."""
    records = []
    for index, face in enumerate(CUBE_FACES):
        corners = [c for vertex in face for c in CUBE_VERTICES[vertex]]
        records.append(struct.pack("<12fH", 0.0, 0.0, 0.0, *corners, index))
    return b"".join(records)


def write_stl_binary(path: Path) -> Path:
    header = f"{PATIENT_NAME} {BIRTH_DATE_ISO}".encode().ljust(80, b" ")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + struct.pack("<I", len(CUBE_FACES)) + stl_triangles())
    return path


def write_stl_ascii(path: Path) -> Path:
    lines = ["solid Jane_Doe"]
    for face in CUBE_FACES:
        lines += ["  facet normal 0 0 0", "    outer loop"]
        lines += [f"      vertex {x:g} {y:g} {z:g}" for x, y, z in (CUBE_VERTICES[v] for v in face)]
        lines += ["    endloop", "  endfacet"]
    lines += [f"author {EMAIL}", "endsolid Jane_Doe"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def ply_body() -> bytes:
    body = b"".join(struct.pack("<3f", *v) for v in CUBE_VERTICES)
    return body + b"".join(struct.pack("<B3i", 3, *face) for face in CUBE_FACES)


def write_ply(path: Path) -> Path:
    header = "\n".join(
        [
            "ply",
            "format binary_little_endian 1.0",
            f"comment patient {PATIENT_NAME}",
            f"comment DOB {BIRTH_DATE_ISO} {EMAIL}",
            f"obj_info scanned at {INSTITUTION}",
            f"element vertex {len(CUBE_VERTICES)}",
            "property float x",
            "property float y",
            "property float z",
            f"element face {len(CUBE_FACES)}",
            "property list uchar int vertex_indices",
            "end_header",
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + b"\n" + ply_body())
    return path


MATERIALS_IN_OBJ_ORDER = ["Jane_gingiva", "Jane_enamel"]


def write_obj(path: Path) -> Path:
    lines = [
        f"# Exported for patient {PATIENT_NAME} ({PATIENT_ID})",
        "mtllib Jane_Doe_scan.mtl",
        "o Jane_Doe_upper_jaw",
    ]
    lines += [f"v {x:g} {y:g} {z:g}" for x, y, z in CUBE_VERTICES]
    lines += ["g Doe_Jane_crown", f"usemtl {MATERIALS_IN_OBJ_ORDER[0]}"]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in CUBE_FACES[:6]]
    lines += ["call Jane_macro.mod", f"usemtl {MATERIALS_IN_OBJ_ORDER[1]}"]
    lines += [f"f {a + 1} {b + 1} {c + 1}  # tooth of {PATIENT_NAME}" for a, b, c in CUBE_FACES[6:]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_mtl(path: Path) -> Path:
    """Materials in the opposite order to their use in the OBJ, one with a texture in a folder
    that names the patient."""
    lines = [
        f"# Materials for {PATIENT_NAME}",
        "newmtl Jane_enamel",
        "Kd 0.95 0.93 0.88",
        "newmtl Jane_gingiva",
        "Kd 0.9 0.5 0.5",
        r"map_Kd -clamp on C:\Users\drsmith\Patients\Jane Doe\gingiva texture.png",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def obj_vertices(data: bytes) -> list[tuple[float, ...]]:
    return [
        tuple(float(c) for c in line.split()[1:4])
        for line in data.decode().splitlines()
        if line.startswith("v ")
    ]
