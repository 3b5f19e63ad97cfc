"""Malicious, malformed and valid sample files for the intake checks (ASVS V5).

Each builder writes one file, deterministically, to the path it is given and returns the size
the client would declare (``None``: the real size). Reuse it in end-to-end upload tests::

    for label, filename, _builder in corpus.MALICIOUS:
        path, filename, declared_size = corpus.build(label, tmp_path)
        stage, code = corpus.EXPECTED[label]  # where intake refuses it, and with which code

Stages, in the order an upload meets them: ``name`` (check_name), ``declared``
(check_declared), ``sniff`` (the first bytes), ``validate`` (the deep check).
All samples are synthetic; the DICOM patient is fictional.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

ZIP_TIME = (2024, 1, 1, 0, 0, 0)
Builder = Callable[[Path], int | None]


# --- valid samples --------------------------------------------------------------------------


def _triangles(count: int) -> list[tuple[tuple[float, ...], ...]]:
    return [
        ((0.0, 0.0, 1.0), (i, 0.0, 0.0), (i + 1.0, 0.0, 0.0), (i, 1.0, 0.0)) for i in range(count)
    ]


def stl_binary_bytes(count: int = 2, header: bytes = b"solid exported-by-scanner") -> bytes:
    # Real binary STLs often start with "solid": sniffing must decide by the size formula.
    out = io.BytesIO()
    out.write(header.ljust(80, b" ")[:80])
    out.write(struct.pack("<I", count))
    for normal, *vertices in _triangles(count):
        out.write(struct.pack("<3f", *normal))
        for vertex in vertices:
            out.write(struct.pack("<3f", *vertex))
        out.write(b"\x00\x00")
    return out.getvalue()


def stl_binary(path: Path) -> None:
    path.write_bytes(stl_binary_bytes())


def stl_ascii_text(count: int = 2, end: bool = True) -> str:
    lines = ["solid lower_jaw"]
    for normal, *vertices in _triangles(count):
        lines.append("  facet normal {} {} {}".format(*normal))
        lines.append("    outer loop")
        lines.extend("      vertex {} {} {}".format(*vertex) for vertex in vertices)
        lines.append("    endloop")
        lines.append("  endfacet")
    if end:
        lines.append("endsolid lower_jaw")
    return "\n".join(lines) + "\n"


def stl_ascii(path: Path) -> None:
    path.write_text(stl_ascii_text())


def _ply_header(encoding: str, vertices: int, faces: int) -> bytes:
    return (
        f"ply\nformat {encoding} 1.0\ncomment synthetic\nelement vertex {vertices}\n"
        "property float x\nproperty float y\nproperty float z\n"
        f"element face {faces}\nproperty list uchar int vertex_indices\nend_header\n"
    ).encode()


def ply_binary(path: Path, vertices: int = 3, declared: int | None = None) -> None:
    body = b"".join(struct.pack("<3f", float(i), float(i % 2), 0.0) for i in range(vertices))
    body += struct.pack("<B3i", 3, 0, 1, 2)
    path.write_bytes(_ply_header("binary_little_endian", declared or vertices, 1) + body)


def ply_ascii(path: Path) -> None:
    path.write_bytes(_ply_header("ascii", 3, 1) + b"0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")


def obj(path: Path) -> None:
    path.write_text("# synthetic\nmtllib model.mtl\no tooth\nv 0 0 0\nv 1 0 0\nv 0 1 0\n"
                    "vn 0 0 1\nusemtl enamel\nf 1//1 2//1 3//1\n")  # fmt: skip


def mtl(path: Path) -> None:
    path.write_text("newmtl enamel\nKa 1 1 1\nKd 0.9 0.9 0.85\nd 1\nillum 2\nmap_Kd enamel.png\n")


THREE_MF_MODEL = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
    '<resources><object id="1" type="model"><mesh><vertices>'
    '<vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/>'
    '</vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles></mesh></object>'
    '</resources><build><item objectid="1"/></build></model>'
)
THREE_MF_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="model" '
    'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>'
)
THREE_MF_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Target="/3D/3dmodel.model" Id="rel0" '
    'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
)


def _zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = name if isinstance(name, zipfile.ZipInfo) else zipfile.ZipInfo(name, ZIP_TIME)
            if not isinstance(name, zipfile.ZipInfo):
                info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def three_mf(path: Path) -> None:
    _zip(
        path,
        [
            ("[Content_Types].xml", THREE_MF_TYPES.encode()),
            ("_rels/.rels", THREE_MF_RELS.encode()),
            ("3D/3dmodel.model", THREE_MF_MODEL.encode()),
        ],
    )


def dicom_bytes(
    modality: str = "CT", preamble: bytes = b"\x00" * 128, instance: int = 1, pixels: bytes = b""
) -> bytes:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian

    sop_class = {
        "CT": "1.2.840.10008.5.1.4.1.1.2",
        "PX": "1.2.840.10008.5.1.4.1.1.1.1",
        "MR": "1.2.840.10008.5.1.4.1.1.4",
    }[modality]
    uid = f"1.2.826.0.1.3680043.8.498.{instance}"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = preamble
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.100"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.101"
    ds.PatientName = "Example^Pat"
    ds.PatientID = "EXAMPLE-1"
    ds.Modality = modality
    ds.InstanceNumber = instance
    ds.Rows = ds.Columns = 4 if not pixels else 512
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PixelData = pixels or bytes(range(32))
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def dicom_ct(path: Path) -> None:
    path.write_bytes(dicom_bytes("CT"))


def dicom_panoramic(path: Path) -> None:
    path.write_bytes(dicom_bytes("PX"))


def dicom_zip(path: Path) -> None:
    _zip(
        path,
        [
            *((f"SERIES/IM{i:04d}", dicom_bytes("CT", instance=i)) for i in range(1, 4)),
            # A blank 512 x 512 slice deflates ~1000:1 and must not look like a bomb.
            ("SERIES/IM0004", dicom_bytes("CT", instance=4, pixels=bytes(512 * 512 * 2))),
            ("__MACOSX/SERIES/._IM0001", b"\x00\x05\x16\x07" + bytes(60)),
        ],
    )


def _image(path: Path, fmt: str, **options) -> None:
    from PIL import Image

    image = Image.new("RGB", (64, 48), (200, 180, 170))
    for x in range(64):
        image.putpixel((x, x % 48), (x * 4, 0, 0))
    image.save(path, fmt, **options)


def jpeg(path: Path) -> None:
    _image(path, "JPEG", quality=90)


def png(path: Path) -> None:
    _image(path, "PNG")


def tiff(path: Path) -> None:
    _image(path, "TIFF")


def pdf_bytes(extra_catalog: str = "", objects: tuple[str, ...] = ()) -> bytes:
    bodies = [
        f"<< /Type /Catalog /Pages 2 0 R {extra_catalog}>>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        *objects,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\n".encode())
    out.write(f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def pdf(path: Path) -> None:
    path.write_bytes(pdf_bytes())


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4_bytes() -> bytes:
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    mvhd = _box(b"mvhd", bytes(4) + struct.pack(">IIII", 0, 0, 1000, 2500) + bytes(80))
    tkhd = _box(b"tkhd", bytes(4 + 80))
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd))
    return ftyp + moov + _box(b"mdat", b"")


def mp4(path: Path) -> None:
    path.write_bytes(mp4_bytes())


# --- malicious and malformed samples --------------------------------------------------------


def zip_bomb(path: Path) -> None:
    # 48 MiB of zeros deflate to ~48 KiB (1000:1), written streaming so building stays fast.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("SERIES/IM0001", ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(48):
                member.write(chunk)


def zip_nested(path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr(zipfile.ZipInfo("IM0002", ZIP_TIME), dicom_bytes("CT", instance=2))
    _zip(path, [("IM0001", dicom_bytes("CT")), ("more.zip", inner.getvalue())])


def zip_slip(path: Path) -> None:
    _zip(
        path, [("IM0001", dicom_bytes("CT")), ("../../etc/passwd", b"root:x:0:0::/root:/bin/sh\n")]
    )


def zip_symlink(path: Path) -> None:
    link = zipfile.ZipInfo("IM0002", ZIP_TIME)
    link.create_system = 3  # Unix
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    _zip(path, [("IM0001", dicom_bytes("CT")), (link, b"/etc/passwd")])


def zip_encrypted(path: Path) -> None:
    _zip(path, [("IM0001", dicom_bytes("CT"))])
    data = bytearray(path.read_bytes())
    data[6] |= 0x01  # local header: general purpose flag bit 0 (encrypted)
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x01  # the same flag in the central directory
    path.write_bytes(bytes(data))


def zip_too_many_entries(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for index in range(10_001):
            archive.writestr(zipfile.ZipInfo(f"{index:05d}", ZIP_TIME), b"")


def zip_with_viewer(path: Path) -> None:
    _zip(path, [("IM0001", dicom_bytes("CT")), ("viewer.exe", b"MZ\x90\x00" + bytes(200))])


def pixel_flood(path: Path) -> None:
    """A 100-byte PNG that declares 50,000 x 50,000 pixels (7.5 GB once decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes(1024))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def jpeg_with_zip(path: Path) -> None:
    jpeg(path)
    appended = io.BytesIO()
    with zipfile.ZipFile(appended, "w") as archive:
        archive.writestr(zipfile.ZipInfo("payload.html", ZIP_TIME), b"<script>alert(1)</script>")
    path.write_bytes(path.read_bytes() + appended.getvalue())


def png_trailing_data(path: Path) -> None:
    png(path)
    path.write_bytes(path.read_bytes() + b"<?php system($_GET['c']); ?>")


def truncated_stl(path: Path) -> None:
    # Declares 1000 triangles, holds 10.
    data = stl_binary_bytes(10)
    path.write_bytes(data[:80] + struct.pack("<I", 1000) + data[84:])


def truncated_ascii_stl(path: Path) -> None:
    path.write_text(stl_ascii_text(3, end=False))


def truncated_ply(path: Path) -> None:
    ply_binary(path, vertices=3, declared=1000)


def dicom_pe_preamble(path: Path) -> None:
    """CVE-2019-11687: a PE header in the preamble makes the file run as a Windows program."""
    preamble = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(114))[:128]
    path.write_bytes(dicom_bytes("CT", preamble=preamble))


def dicom_mr(path: Path) -> None:
    path.write_bytes(dicom_bytes("MR"))


def pdf_javascript(path: Path) -> None:
    path.write_bytes(pdf_bytes("/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "))


def pdf_obfuscated_launch(path: Path) -> None:
    # "#4c" is "L": the name is /Launch, hidden from a naive byte search.
    path.write_bytes(pdf_bytes("/OpenAction << /S /#4caunch /F (cmd.exe) >> "))


def pdf_javascript_in_object_stream(path: Path) -> None:
    hidden = b"4 0 << /S /JavaScript /JS (app.alert(1)) >>"
    packed = zlib.compress(hidden)
    stream = (
        f"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {len(packed)} >>\nstream\n"
    )
    data = pdf_bytes(objects=("0",))  # placeholder object 4, replaced below
    marker = b"4 0 obj\n0\nendobj\n"
    replacement = b"4 0 obj\n" + stream.encode() + packed + b"\nendstream\nendobj\n"
    path.write_bytes(data.replace(marker, replacement))


def pdf_encrypted(path: Path) -> None:
    encrypt = "<< /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>"
    data = pdf_bytes(objects=(encrypt,))
    path.write_bytes(data.replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 4 0 R"))


def mp4_overrun(path: Path) -> None:
    data = mp4_bytes()
    path.write_bytes(data + struct.pack(">I4s", 1_000_000, b"mdat") + bytes(16))


def exe_as_jpeg(path: Path) -> None:
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200))


def heic(path: Path) -> None:
    ftyp = _box(b"ftyp", b"heic" + bytes(4) + b"mif1heic")
    path.write_bytes(ftyp + _box(b"meta", bytes(32)) + _box(b"mdat", bytes(64)))


def obj_mtllib_traversal(path: Path) -> None:
    path.write_text("mtllib ../../../etc/passwd\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")


def html(path: Path) -> None:
    path.write_text("<html><script>alert(1)</script></html>")


def empty(path: Path) -> None:
    path.write_bytes(b"")


def claimed_10_gb(path: Path) -> int:
    dicom_zip(path)
    return 10 * 1000**3


VALID: list[tuple[str, str, Builder]] = [
    ("stl_binary", "upper_jaw.stl", stl_binary),
    ("stl_ascii", "lower_jaw.stl", stl_ascii),
    ("ply_binary", "bite.ply", ply_binary),
    ("ply_ascii", "bite_ascii.ply", ply_ascii),
    ("obj", "model.obj", obj),
    ("mtl", "model.mtl", mtl),
    ("3mf", "model.3mf", three_mf),
    ("dicom_ct", "ct.dcm", dicom_ct),
    ("dicom_no_extension", "IM0001", dicom_ct),
    ("dicom_panoramic", "panoramic.dcm", dicom_panoramic),
    ("dicom_zip", "cbct_series.zip", dicom_zip),
    ("jpeg", "smile.jpg", jpeg),
    ("png", "smile.png", png),
    ("tiff", "smile.tif", tiff),
    ("pdf", "referral.pdf", pdf),
    ("mp4", "clip.mp4", mp4),
]
# label → (format, kind) that validate() reports
VALID_EXPECTED: dict[str, tuple[str, str]] = {
    "stl_binary": ("stl-binary", "scan"),
    "stl_ascii": ("stl-ascii", "scan"),
    "ply_binary": ("ply", "scan"),
    "ply_ascii": ("ply", "scan"),
    "obj": ("obj", "scan"),
    "mtl": ("mtl", "scan"),
    "3mf": ("3mf", "scan"),
    "dicom_ct": ("dicom", "cbct"),
    "dicom_no_extension": ("dicom", "cbct"),
    "dicom_panoramic": ("dicom", "radiograph"),
    "dicom_zip": ("dicom-zip", "cbct"),
    "jpeg": ("jpeg", "photo"),
    "png": ("png", "photo"),
    "tiff": ("tiff", "photo"),
    "pdf": ("pdf", "document"),
    "mp4": ("mp4", "video"),
}

MALICIOUS: list[tuple[str, str, Builder]] = [
    ("zip_bomb", "cbct_series.zip", zip_bomb),
    ("zip_nested", "cbct_series.zip", zip_nested),
    ("zip_slip", "cbct_series.zip", zip_slip),
    ("zip_symlink", "cbct_series.zip", zip_symlink),
    ("zip_encrypted", "cbct_series.zip", zip_encrypted),
    ("zip_too_many_entries", "cbct_series.zip", zip_too_many_entries),
    ("zip_with_viewer", "cbct_series.zip", zip_with_viewer),
    ("pixel_flood", "smile.png", pixel_flood),
    ("png_named_stl", "upper_jaw.stl", png),
    ("jpeg_with_zip", "smile.jpg", jpeg_with_zip),
    ("png_trailing_data", "smile.png", png_trailing_data),
    ("truncated_stl", "upper_jaw.stl", truncated_stl),
    ("truncated_ascii_stl", "lower_jaw.stl", truncated_ascii_stl),
    ("truncated_ply", "bite.ply", truncated_ply),
    ("dicom_pe_preamble", "ct.dcm", dicom_pe_preamble),
    ("dicom_mr", "ct.dcm", dicom_mr),
    ("pdf_javascript", "referral.pdf", pdf_javascript),
    ("pdf_obfuscated_launch", "referral.pdf", pdf_obfuscated_launch),
    ("pdf_javascript_in_object_stream", "referral.pdf", pdf_javascript_in_object_stream),
    ("pdf_encrypted", "referral.pdf", pdf_encrypted),
    ("mp4_overrun", "clip.mp4", mp4_overrun),
    ("exe_named_jpeg", "smile.jpg", exe_as_jpeg),
    ("heic_named_jpeg", "smile.jpg", heic),
    ("heic", "smile.heic", heic),
    ("obj_mtllib_traversal", "model.obj", obj_mtllib_traversal),
    ("png_without_extension", "smile", png),
    ("html", "index.html", html),
    ("svg", "drawing.svg", html),
    ("empty", "upper_jaw.stl", empty),
    ("name_300_chars", "a" * 296 + ".stl", stl_binary),
    ("name_with_nul", "upper\x00.stl", stl_binary),
    ("name_with_path", "../upper_jaw.stl", stl_binary),
    ("name_with_rtl_override", "smile\u202egpj.exe", jpeg),
    ("claimed_10_gb", "cbct_series.zip", claimed_10_gb),
]
# label → (stage, code): where intake refuses it, and how
EXPECTED: dict[str, tuple[str, str]] = {
    "zip_bomb": ("validate", "zip_bomb"),
    "zip_nested": ("validate", "zip_nested"),
    "zip_slip": ("validate", "zip_slip"),
    "zip_symlink": ("validate", "zip_symlink"),
    "zip_encrypted": ("validate", "zip_encrypted"),
    "zip_too_many_entries": ("validate", "zip_too_many_entries"),
    "zip_with_viewer": ("validate", "zip_contents"),
    "pixel_flood": ("validate", "pixel_flood"),
    "png_named_stl": ("sniff", "type_mismatch"),
    "jpeg_with_zip": ("validate", "polyglot"),
    "png_trailing_data": ("validate", "polyglot"),
    "truncated_stl": ("sniff", "truncated"),
    "truncated_ascii_stl": ("validate", "truncated"),
    "truncated_ply": ("validate", "truncated"),
    "dicom_pe_preamble": ("validate", "dicom_preamble"),
    "dicom_mr": ("validate", "dicom_modality"),
    "pdf_javascript": ("validate", "pdf_active_content"),
    "pdf_obfuscated_launch": ("validate", "pdf_active_content"),
    "pdf_javascript_in_object_stream": ("validate", "pdf_active_content"),
    "pdf_encrypted": ("validate", "pdf_encrypted"),
    "mp4_overrun": ("validate", "truncated"),
    "exe_named_jpeg": ("sniff", "unknown_type"),
    "heic_named_jpeg": ("sniff", "unsupported_format"),
    "heic": ("declared", "unsupported_format"),
    "obj_mtllib_traversal": ("validate", "unsafe_reference"),
    "png_without_extension": ("sniff", "type_mismatch"),
    "html": ("declared", "unknown_type"),
    "svg": ("declared", "unknown_type"),
    "empty": ("declared", "empty"),
    "name_300_chars": ("name", "name_too_long"),
    "name_with_nul": ("name", "name_invalid"),
    "name_with_path": ("name", "name_invalid"),
    "name_with_rtl_override": ("name", "name_invalid"),
    "claimed_10_gb": ("declared", "too_large"),
}

_BUILDERS = {label: (filename, builder) for label, filename, builder in VALID + MALICIOUS}


def build(label: str, directory: Path | str) -> tuple[Path, str, int]:
    """Write sample ``label`` into ``directory``: (path on disk, upload file name, declared size).

    The file on disk is named after the label: some upload names cannot exist on a disk."""
    filename, builder = _BUILDERS[label]
    path = Path(directory) / f"{label}.sample"
    declared = builder(path)
    return path, filename, declared if declared is not None else path.stat().st_size


# --- identity planted in every place a format allows (issue 13, finding 4) -------------------
#
# ``PLANTED[fmt]`` maps each place to a builder ``(path, text) -> None`` that writes a valid file
# of that format (its pixels or mesh decode as usual) with ``text`` (bytes, in whatever encoding
# the test chose) hidden in that place. The anonymized copy must not contain it.

IDENTITY = "Henrietta Vanderbilt 1961-11-29"


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _plain_jpeg(**options) -> bytes:
    from PIL import Image

    image = Image.new("RGB", (48, 32), (200, 180, 170))
    for x in range(48):
        image.putpixel((x, x % 32), (x * 5, 40, 255 - x * 5))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def _after_soi(data: bytes, *segments: bytes) -> bytes:
    return data[:2] + b"".join(segments) + data[2:]


def _icc_with(tags: dict[bytes, bytes], header_reserved: bytes = b"") -> bytes:
    """Pillow's sRGB profile with ``tags`` added or replaced (and text in the reserved bytes
    of the header, if given)."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    count = int.from_bytes(profile[128:132], "big")
    entries = {}
    for index in range(count):
        sig, offset, size = struct.unpack_from(">4sII", profile, 132 + 12 * index)
        entries[sig] = profile[offset : offset + size]
    entries.update(tags)
    header = bytearray(profile[:128])
    header[100 : 100 + len(header_reserved)] = header_reserved[:28]
    start = 132 + 12 * len(entries)
    table, body = b"", b""
    for sig, data in entries.items():
        table += struct.pack(">4sII", sig, start + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    out = header + struct.pack(">I", len(entries)) + table + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


def _icc_text(text: bytes) -> bytes:
    return b"text" + bytes(4) + text + b"\0"


def _icc_mluc(text: bytes) -> bytes:
    return b"mluc" + bytes(4) + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(text), 28) + text


def _jpeg_icc(path: Path, profile: bytes) -> None:
    path.write_bytes(_plain_jpeg(icc_profile=profile))


def _jpeg_app(marker: int, prefix: bytes = b"") -> Callable[[Path, bytes], None]:
    def build(path: Path, text: bytes) -> None:
        path.write_bytes(_after_soi(_plain_jpeg(), _segment(marker, prefix + text)))

    return build


def _jpeg_jfif_tail(path: Path, text: bytes) -> None:
    data = _plain_jpeg()
    assert data[2:4] == b"\xff\xe0"  # Pillow writes JFIF first
    length = int.from_bytes(data[4:6], "big")
    payload = data[6 : 4 + length] + text
    path.write_bytes(data[:2] + _segment(0xE0, payload) + data[4 + length :])


def _jpeg_jfif_thumbnail(path: Path, text: bytes) -> None:
    pixels = text + bytes(-len(text) % 3)
    payload = b"JFIF\0\x01\x02\x00\x00\x01\x00\x01" + bytes([len(pixels) // 3, 1]) + pixels
    data = _plain_jpeg()
    length = int.from_bytes(data[4:6], "big")
    path.write_bytes(data[:2] + _segment(0xE0, payload) + data[4 + length :])


def _jpeg_adobe_tail(path: Path, text: bytes) -> None:
    adobe = b"Adobe\x00\x64\x80\x00\x00\x00\x01"  # YCbCr transform, as Photoshop writes it
    path.write_bytes(_after_soi(_plain_jpeg(), _segment(0xEE, adobe + text)))


def _jpeg_exif(field: int, ifd: int | None = None) -> Callable[[Path, bytes], None]:
    def build(path: Path, text: bytes) -> None:
        from PIL import Image

        exif = Image.Exif()
        exif[0x0112] = 6
        value = text.decode("latin-1") if field in (0x010E, 0x013B, 0x010F, 0x8298) else text
        if ifd is None:
            exif[field] = value
        else:
            exif[ifd] = {field: value}
        path.write_bytes(_plain_jpeg(exif=exif.tobytes()))

    return build


def _jpeg_xmp(path: Path, text: bytes) -> None:
    packet = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>' + text + b"</dc:creator></x:xmpmeta>"
    )
    path.write_bytes(_plain_jpeg(xmp=packet))


def _jpeg_iptc(path: Path, text: bytes) -> None:
    record = bytes([0x1C, 2, 5]) + struct.pack(">H", len(text)) + text
    record += bytes(len(record) % 2)
    resource = b"8BIM\x04\x04\0\0" + struct.pack(">I", len(record)) + record
    path.write_bytes(_after_soi(_plain_jpeg(), _segment(0xED, b"Photoshop 3.0\0" + resource)))


def _jpeg_com(path: Path, text: bytes) -> None:
    path.write_bytes(_plain_jpeg(comment=text))


def _jpeg_trailing(path: Path, text: bytes) -> None:
    path.write_bytes(_plain_jpeg() + text)


def _jpeg_icc_tag(sig: bytes, kind: str = "text") -> Callable[[Path, bytes], None]:
    def build(path: Path, text: bytes) -> None:
        data = _icc_mluc(text) if kind == "mluc" else _icc_text(text)
        _jpeg_icc(path, _icc_with({sig: data}))

    return build


def _jpeg_icc_header(path: Path, text: bytes) -> None:
    _jpeg_icc(path, _icc_with({}, header_reserved=text))


def _jpeg_icc_xyz_tail(path: Path, text: bytes) -> None:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    count = int.from_bytes(profile[128:132], "big")
    for index in range(count):
        sig, offset, size = struct.unpack_from(">4sII", profile, 132 + 12 * index)
        if sig == b"wtpt":
            _jpeg_icc(path, _icc_with({b"wtpt": profile[offset : offset + size] + text}))
            return


PLANTED_JPEG: dict[str, Callable[[Path, bytes], None]] = {
    **{f"app{n}": _jpeg_app(0xE0 + n) for n in range(16)},
    "app0_jfif_tail": _jpeg_jfif_tail,
    "app0_jfif_thumbnail": _jpeg_jfif_thumbnail,
    "app0_jfxx": _jpeg_app(0xE0, b"JFXX\0\x10"),
    "app1_exif_prefix": _jpeg_app(0xE1, b"Exif\0\0"),
    "app2_icc_prefix": _jpeg_app(0xE2, b"ICC_PROFILE\0\x01\x01"),
    "app14_adobe_tail": _jpeg_adobe_tail,
    "app14_adobe_prefix": _jpeg_app(0xEE, b"Adobe"),
    "com": _jpeg_com,
    "exif_image_description": _jpeg_exif(0x010E),
    "exif_artist": _jpeg_exif(0x013B),
    "exif_make": _jpeg_exif(0x010F),
    "exif_copyright": _jpeg_exif(0x8298),
    "exif_xp_comment": _jpeg_exif(0x9C9C),
    "exif_private_tag": _jpeg_exif(0xC7A1),
    "exif_user_comment": _jpeg_exif(0x9286, ifd=0x8769),
    "exif_maker_note": _jpeg_exif(0x927C, ifd=0x8769),
    "exif_gps_processing_method": _jpeg_exif(0x1B, ifd=0x8825),
    "xmp": _jpeg_xmp,
    "iptc": _jpeg_iptc,
    "icc_desc": _jpeg_icc_tag(b"desc", "mluc"),
    "icc_cprt": _jpeg_icc_tag(b"cprt", "mluc"),
    "icc_dmnd": _jpeg_icc_tag(b"dmnd", "mluc"),
    "icc_dmdd": _jpeg_icc_tag(b"dmdd", "mluc"),
    "icc_private_tag": _jpeg_icc_tag(b"zHen"),
    "icc_header_reserved": _jpeg_icc_header,
    "icc_bytes_after_a_rendering_tag": _jpeg_icc_xyz_tail,
    "trailing_data": _jpeg_trailing,
}


def _stl_binary_header(path: Path, text: bytes) -> None:
    path.write_bytes(stl_binary_bytes(4, header=text[:80]))


def _stl_binary_attributes(path: Path, text: bytes) -> None:
    """The text spelled two bytes at a time in the attribute bytes of the first triangles."""
    text += bytes(len(text) % 2)
    data = bytearray(stl_binary_bytes(len(text) // 2 + 1))
    for index in range(len(text) // 2):
        end = 84 + 50 * (index + 1)
        data[end - 2 : end] = text[2 * index : 2 * index + 2]
    path.write_bytes(bytes(data))


def _stl_binary_normals(path: Path, text: bytes) -> None:
    """The text spelled twelve bytes at a time in the normals of the first triangles."""
    text += bytes(-len(text) % 12)
    data = bytearray(stl_binary_bytes(len(text) // 12 + 1))
    for index in range(len(text) // 12):
        start = 84 + 50 * index
        data[start : start + 12] = text[12 * index : 12 * index + 12]
    path.write_bytes(bytes(data))


def _stl_binary_trailing(path: Path, text: bytes) -> None:
    path.write_bytes(stl_binary_bytes(4) + text)


def _stl_ascii_replace(old: str, new: str) -> Callable[[Path, bytes], None]:
    def build(path: Path, text: bytes) -> None:
        source = stl_ascii_text(2).encode()
        path.write_bytes(source.replace(old.encode(), new.encode().replace(b"TEXT", text), 1))

    return build


PLANTED_STL_BINARY: dict[str, Callable[[Path, bytes], None]] = {
    "header": _stl_binary_header,
    "attribute_bytes": _stl_binary_attributes,
    "normal_bytes": _stl_binary_normals,
    "trailing_data": _stl_binary_trailing,
}
PLANTED_STL_ASCII: dict[str, Callable[[Path, bytes], None]] = {
    "solid_name": _stl_ascii_replace("solid lower_jaw", "solid TEXT"),
    "endsolid_name": _stl_ascii_replace("endsolid lower_jaw", "endsolid TEXT"),
    "after_the_normal": _stl_ascii_replace("normal 0.0 0.0 1.0", "normal 0.0 0.0 1.0 TEXT"),
    "after_a_vertex": _stl_ascii_replace("vertex 0 0.0 0.0", "vertex 0 0.0 0.0 TEXT"),
    "after_outer_loop": _stl_ascii_replace("outer loop", "outer loop TEXT"),
    "after_endloop": _stl_ascii_replace("endloop", "endloop TEXT"),
    "after_endfacet": _stl_ascii_replace("endfacet", "endfacet TEXT"),
    "a_line_of_its_own": _stl_ascii_replace("  facet", "  TEXT\n  facet"),
    "after_the_end": _stl_ascii_replace("endsolid lower_jaw\n", "endsolid lower_jaw\nTEXT\n"),
}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_scanlines(width: int = 16, height: int = 8) -> bytes:
    rows = []
    for y in range(height):
        rows.append(b"\0" + b"".join(bytes((x * 15, y * 30, 255 - x * 15)) for x in range(width)))
    return b"".join(rows)


def _png_bytes(
    chunks: tuple[bytes, ...] = (), idat: bytes | None = None, trailing: bytes = b""
) -> bytes:
    ihdr = struct.pack(">IIBBBBB", 16, 8, 8, 2, 0, 0, 0)
    data = idat if idat is not None else zlib.compress(_png_scanlines())
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + b"".join(chunks)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
        + trailing
    )


def _png_with(kind: bytes, make: Callable[[bytes], bytes]) -> Callable[[Path, bytes], None]:
    def build(path: Path, text: bytes) -> None:
        path.write_bytes(_png_bytes((_png_chunk(kind, make(text)),)))

    return build


def _png_exif(path: Path, text: bytes) -> None:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x013B] = text.decode("latin-1")
    path.write_bytes(_png_bytes((_png_chunk(b"eXIf", exif.tobytes()[6:]),)))


def _png_icc_name(path: Path, text: bytes) -> None:
    profile = _icc_with({})
    name = text.replace(b"\0", b".")[:79]
    path.write_bytes(_png_bytes((_png_chunk(b"iCCP", name + b"\0\0" + zlib.compress(profile)),)))


def _png_icc_desc(path: Path, text: bytes) -> None:
    profile = _icc_with({b"desc": _icc_mluc(text)})
    path.write_bytes(_png_bytes((_png_chunk(b"iCCP", b"icc\0\0" + zlib.compress(profile)),)))


def _png_after_zlib_stream(path: Path, text: bytes) -> None:
    path.write_bytes(_png_bytes(idat=zlib.compress(_png_scanlines()) + text))


def _png_after_last_scanline(path: Path, text: bytes) -> None:
    path.write_bytes(_png_bytes(idat=zlib.compress(_png_scanlines() + text, 0)))


def _png_after_iend(path: Path, text: bytes) -> None:
    path.write_bytes(_png_bytes(trailing=text))


PLANTED_PNG: dict[str, Callable[[Path, bytes], None]] = {
    "tEXt": _png_with(b"tEXt", lambda text: b"Author\0" + text),
    "tEXt_keyword": _png_with(b"tEXt", lambda text: text.replace(b"\0", b".")[:79] + b"\0x"),
    "zTXt": _png_with(b"zTXt", lambda text: b"Comment\0\0" + zlib.compress(text, 0)),
    "iTXt": _png_with(b"iTXt", lambda text: b"Description\0\0\0en\0" + text + b"\0" + text),
    "eXIf": _png_exif,
    "private_chunk": _png_with(b"prVt", lambda text: text),
    "sPLT_name": _png_with(b"sPLT", lambda text: text.replace(b"\0", b".") + b"\0\x08"),
    "pCAL_name": _png_with(b"pCAL", lambda text: text.replace(b"\0", b".") + b"\0"),
    "iCCP_name": _png_icc_name,
    "iCCP_description": _png_icc_desc,
    "after_the_zlib_stream": _png_after_zlib_stream,
    "after_the_last_scanline": _png_after_last_scanline,
    "after_IEND": _png_after_iend,
}
# Places that end at a NUL byte hold only text without one: planted in UTF-8 only.
NUL_TERMINATED = {"tEXt_keyword", "sPLT_name", "pCAL_name", "iCCP_name"}


def png_interlaced(path: Path, width: int = 37, height: int = 23) -> None:
    """An Adam7-interlaced RGB PNG (Pillow writes none), with passes of every size."""
    import numpy as np

    x = np.arange(width, dtype=np.uint8)[None, :]
    y = np.arange(height, dtype=np.uint8)[:, None]
    pixels = np.stack([x * 7 + 0 * y, y * 11 + 0 * x, (x + y) * 3], axis=-1).astype(np.uint8)
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
              (0, 1, 1, 2))  # fmt: skip
    raw = b""
    for x0, y0, dx, dy in passes:
        part = pixels[y0::dy, x0::dx]
        if part.size:
            raw += b"".join(b"\0" + row.tobytes() for row in part)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )  # fmt: skip


def png_animated(path: Path) -> None:
    """A three-frame APNG with a text chunk."""
    from PIL import Image, PngImagePlugin

    frames = [Image.new("RGBA", (20, 10), (60 * i, 0, 0, 255)) for i in range(3)]
    for index, frame in enumerate(frames):
        frame.putpixel((index, index), (0, 255, 0, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", IDENTITY)
    frames[0].save(
        path, "PNG", save_all=True, append_images=frames[1:], duration=100, loop=0, pnginfo=info
    )


def _tiff_tag(tag: int, kind: str = "ascii") -> Callable[[Path, bytes], None]:
    def build(path: Path, text: bytes) -> None:
        from PIL import Image, TiffImagePlugin

        image = Image.new("RGB", (24, 16), (200, 180, 170))
        for x in range(24):
            image.putpixel((x, x % 16), (x * 10, 40, 255 - x * 10))
        info = TiffImagePlugin.ImageFileDirectory_v2()
        if kind == "ascii":
            info[tag] = text.decode("latin-1")
            info.tagtype[tag] = 2
        else:
            info[tag] = text
            info.tagtype[tag] = 7  # UNDEFINED
        image.save(path, "TIFF", tiffinfo=info)

    return build


def _tiff_icc_desc(path: Path, text: bytes) -> None:
    from PIL import Image

    image = Image.new("RGB", (24, 16), (200, 180, 170))
    image.save(path, "TIFF", icc_profile=_icc_with({b"desc": _icc_mluc(text)}))


def _tiff_trailing(path: Path, text: bytes) -> None:
    _tiff_tag(305)(path, b"scanner")
    path.write_bytes(path.read_bytes() + text)


def _tiff_second_page(path: Path, text: bytes) -> None:
    from PIL import Image, TiffImagePlugin

    pages = [Image.new("L", (8, 8), 10 * n) for n in range(2)]
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[270] = text.decode("latin-1")
    info.tagtype[270] = 2
    pages[1].encoderinfo = {"tiffinfo": info}
    pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:])


PLANTED_TIFF: dict[str, Callable[[Path, bytes], None]] = {
    "ImageDescription": _tiff_tag(270),
    "Artist": _tiff_tag(315),
    "DocumentName": _tiff_tag(269),
    "PageName": _tiff_tag(285),
    "Make": _tiff_tag(271),
    "Model": _tiff_tag(272),
    "Software": _tiff_tag(305),
    "HostComputer": _tiff_tag(316),
    "Copyright": _tiff_tag(33432),
    "XMP": _tiff_tag(700, "undefined"),
    "IPTC": _tiff_tag(33723, "undefined"),
    "private_tag_ascii": _tiff_tag(50000),
    "private_tag_undefined": _tiff_tag(65000, "undefined"),
    "ICC_description": _tiff_icc_desc,
    "after_the_last_directory": _tiff_trailing,
    "second_page": _tiff_second_page,
}


PLY_VERTICES = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]
PLY_FACES = [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]


def _ply_planted(place: str, binary: bool) -> Callable[[Path, bytes], None]:
    """A tetrahedron with ``text`` in ``place``: a header line, a vertex property holding it as
    a list of bytes, an element of its own, a property's name, after the last record, or (ASCII)
    words after a record's values."""

    def build(path: Path, text: bytes) -> None:
        fmt = "binary_little_endian" if binary else "ascii"
        header = [b"ply", b"format %s 1.0" % fmt.encode()]
        if place == "comment":
            header.append(b"comment " + text)
        if place == "obj_info":
            header.append(b"obj_info " + text)
        if place == "unknown_header_line":
            header.append(b"author " + text)
        header += [b"element vertex 4", b"property float x", b"property float y"]
        header.append(b"property float z")
        if place == "extra_property":
            header.append(b"property list uchar uchar patient")
        if place == "property_name":
            header.append(b"property uchar " + text.replace(b" ", b"_"))
        header += [b"element face 4", b"property list uchar int vertex_indices"]
        if place == "extra_element":
            header += [b"element patient %d" % len(text), b"property uchar letter"]
        header.append(b"end_header")
        body = b""
        for index, vertex in enumerate(PLY_VERTICES):
            extra = b""
            if place == "extra_property":
                extra = bytes([len(text)]) + text if binary else b" %d %s" % (
                    len(text), b" ".join(b"%d" % c for c in text)
                )  # fmt: skip
            if place == "property_name":
                extra = b"\x07" if binary else b" 7"
            if binary:
                body += struct.pack("<3f", *vertex) + extra
            else:
                words = b" ".join(b"%g" % c for c in vertex) + extra
                if place == "after_a_record" and index == 0:
                    words += b" " + text
                body += words + b"\n"
        for face in PLY_FACES:
            if binary:
                body += struct.pack("<B3i", 3, *face)
            else:
                body += b"3 %d %d %d\n" % face
        if place == "extra_element":
            body += text if binary else b"".join(b"%d\n" % c for c in text)
        if place == "after_the_body":
            body += text
        path.write_bytes(b"\n".join(header) + b"\n" + body)

    return build


_PLY_PLACES = [
    "comment", "obj_info", "unknown_header_line", "extra_property", "property_name",
    "extra_element", "after_the_body",
]  # fmt: skip
PLANTED_PLY: dict[str, Callable[[Path, bytes], None]] = {
    **{f"binary_{place}": _ply_planted(place, binary=True) for place in _PLY_PLACES},
    **{f"ascii_{place}": _ply_planted(place, binary=False) for place in _PLY_PLACES},
    "ascii_after_a_record": _ply_planted("after_a_record", binary=False),
}
NUL_TERMINATED |= {"binary_property_name", "ascii_property_name"}


OBJ_TEXT = (
    "mtllib model.mtl\no tooth\nv 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nvn 0 0 1\nvt 0.5 0.5\n"
    "g crown\nusemtl enamel\ns 1\nf 1/1/1 2/1/1 3/1/1\nf 1 2 4\nl 1 2\n"
)


def _obj_replace(old: str, new: str) -> Callable[[Path, bytes], None]:
    def build(path: Path, text: bytes) -> None:
        planted = new.encode().replace(b"TEXT", text)
        path.write_bytes(OBJ_TEXT.encode().replace(old.encode(), planted, 1))

    return build


PLANTED_OBJ: dict[str, Callable[[Path, bytes], None]] = {
    "comment_line": _obj_replace("o tooth\n", "# TEXT\no tooth\n"),
    "comment_after_a_statement": _obj_replace("v 1 0 0\n", "v 1 0 0 # TEXT\n"),
    "object_name": _obj_replace("o tooth", "o TEXT"),
    "group_name": _obj_replace("g crown", "g crown TEXT"),
    "mtllib_name": _obj_replace("mtllib model.mtl", "mtllib TEXT.mtl"),
    "usemtl_name": _obj_replace("usemtl enamel", "usemtl TEXT"),
    "unknown_statement": _obj_replace("s 1\n", "s 1\nauthor TEXT\n"),
    "after_a_vertex": _obj_replace("v 0 0 1\n", "v 0 0 1 TEXT\n"),
    "after_a_normal": _obj_replace("vn 0 0 1\n", "vn 0 0 1 TEXT\n"),
    "after_a_texture_coordinate": _obj_replace("vt 0.5 0.5\n", "vt 0.5 0.5 TEXT\n"),
    "after_a_face": _obj_replace("f 1 2 4\n", "f 1 2 4 TEXT\n"),
    "after_a_line": _obj_replace("l 1 2\n", "l 1 2 TEXT\n"),
    "smoothing_group": _obj_replace("s 1", "s TEXT"),
    "linked_files": _obj_replace("s 1\n", "s 1\ncall TEXT.mod\nshadow_obj TEXT.obj\n"),
    "after_the_last_line": _obj_replace("l 1 2\n", "l 1 2\nTEXT"),
}


MTL_TEXT = "newmtl enamel\nKa 1 1 1\nKd 0.9 0.9 0.85\nd 1\nillum 2\nmap_Kd enamel.png\n"


def _mtl_replace(old: str, new: str) -> Callable[[Path, bytes], None]:
    def build(path: Path, text: bytes) -> None:
        planted = new.encode().replace(b"TEXT", text)
        path.write_bytes(MTL_TEXT.encode().replace(old.encode(), planted, 1))

    return build


PLANTED_MTL: dict[str, Callable[[Path, bytes], None]] = {
    "comment_line": _mtl_replace("Ka", "# TEXT\nKa"),
    "material_name": _mtl_replace("newmtl enamel", "newmtl TEXT"),
    "after_a_colour": _mtl_replace("Kd 0.9 0.9 0.85", "Kd 0.9 0.9 0.85 TEXT"),
    "unknown_statement": _mtl_replace("illum 2\n", "illum 2\nauthor TEXT\n"),
    "texture_folder": _mtl_replace("map_Kd enamel.png", "map_Kd C:/TEXT/enamel.png"),
}
