"""Anonymized derivatives of uploaded files, for everyone outside the practice (FIL-3, REC-7).

The practice keeps the original; the lab and designers get the file this module writes. Callers
(background tasks) pass plain paths of plaintext temporary files; nothing here touches the
database. Every public function parses untrusted bytes only inside :func:`run_limited` (the real
work is in the module-level ``_``-prefixed functions) and returns a JSON-serialisable report::

    {"kind": "dicom", "held": False, "hold_reason": None,
     "removed": [{"code": "dicom_private_tags", "label": "Vendor private DICOM attributes",
                  "count": 3}, ...],
     "notes": [{"code": "files_anonymized", "label": "...", "count": 5}]}

``removed[].code``, ``notes[].code`` and ``hold_reason`` are stable (the UI translates them; see
``REMOVED_LABELS``, ``NOTE_LABELS``, ``HOLD_REASONS``). ``held`` means the derivative must not
be shared until the practice confirms it.

Failure: every public function raises :class:`AnonymizationFailed` (and never leaves a partial
``dst`` behind). ``reason`` is ``"malformed"`` when the input is not a valid file of the
announced format, else the sandbox's reason (``"timeout"``, ``"memory"``, ``"crashed"``,
``"failed"``).

Decisions
---------
* DICOM: the table of PS3.15 Annex E (Basic Application Level Confidentiality Profile) is
  dicom-anonymizer's (``dicomanonymizer.dicomfields``); the actions are implemented here because
  the library applies them to the top-level dataset only (identity inside sequence items
  survives), deletes nothing for X on DA attributes (it writes a dummy date), leaves DS values on
  Z, and keeps its UID map in a process-wide global. Where the table leaves a choice we take:
  Z/D, X/D, X/Z/D → D (a dummy keeps Type 1 attributes valid); X/Z → Z; X/Z/U* → keep the
  sequence, its items profiled (their instance UIDs remapped). A D on a sequence replaces every
  value in its items. Every dataset in the tree (sequence items too) gets the profile; all private
  attributes are removed at every level.
* DICOMDIR in a ZIP: dropped, not rebuilt. It is an index of patient/study records; the output
  file names (``IMG00001.dcm``) are not valid DICOM File IDs, so a rebuilt DICOMDIR would be
  non-conformant, and viewers open a folder or ZIP of instances without one.
* TIFF: Pillow cannot drop tags without re-encoding, so the frames are re-saved losslessly
  (LZW) from the decoded pixels and the decoded pixels of the output are checked equal to the
  input's, else :class:`AnonymizationFailed`. The reduced ICC profile, resolution and
  orientation are kept; no other tag of the original is written (a tag allow-list by
  construction). JPEG and PNG are rewritten segment by segment / chunk by chunk, never re-encoded.
* Allow-lists, not deny-lists (issue 13, finding 4): a copy is rebuilt from the parts a viewer
  needs to show the same pixels or mesh; anything not on the list — unknown segments, chunks,
  tags, properties, bytes after the end — is left out, whatever it holds. JPEG: SOI, the
  decoding segments (DQT, SOF, DHT, DAC, DRI, SOS with its scan data, DNL) and EOI as they
  were; a fresh JFIF APP0 (density only) and Adobe APP14 (colour transform only) where the
  original had one; a minimal EXIF holding only the orientation; the ICC profile reduced to its
  rendering tags with a fixed description and copyright (``files/icc.py``). PNG: IHDR, PLTE,
  tRNS, the colour chunks and pHYs (their lengths checked), the iCCP profile reduced and renamed,
  the image data inflated to exactly its scanlines and deflated again (bytes after the zlib
  stream or the last scanline do not come along; APNG frames likewise, renumbered), IEND.
* HEIC: Pillow here cannot open it (no HEIF plugin); it is treated like PDF (below).
* PDF and MP4 (and the other ids intake knows but this module cannot clean: ``heic``, ``3mf``,
  ``zip``, ``glb``): nothing installed strips their metadata so that the old bytes are gone
  (no PDF or MP4 library; a PDF incremental update would keep the old objects), so ``dst`` is an
  unchanged copy reported ``held`` with ``hold_reason="not_anonymizable"``: like any held
  derivative it is shared only once the practice confirms.
"""

from __future__ import annotations

import functools
import io
import ntpath
import os
import re
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from dentalbridge.files.sandbox import DEFAULT_TIMEOUT, SandboxError, run_limited

if TYPE_CHECKING:
    from PIL.TiffImagePlugin import TiffImageFile

# --- Report -----------------------------------------------------------------------------------

REMOVED_LABELS = {
    "dicom_identifying_attributes": "Patient, staff and institution details",
    "dicom_private_tags": "Vendor private DICOM attributes",
    "dicom_uids_remapped": "Study, series and image identifiers (replaced)",
    "dicom_dates": "Dates and times",
    "dicom_dicomdir": "DICOMDIR index",
    "other_files": "Other files in the archive",
    "exif": "Camera metadata (EXIF)",
    "gps": "GPS location",
    "maker_notes": "Camera maker notes",
    "xmp": "XMP metadata",
    "iptc": "IPTC / Photoshop metadata",
    "comments": "Comments and text fields",
    "timestamps": "Timestamps",
    "other_metadata": "Other embedded metadata",
    "trailing_data": "Data after the end of the file",
    "icc_text": "Texts and private tags of the colour profile",
    "icc_profile": "An unreadable colour profile",
    "stl_header": "STL header text",
    "stl_solid_name": "STL solid names",
    "stl_attributes": "STL triangle attribute bytes",
    "ply_comments": "PLY comments",
    "ply_obj_info": "PLY object information",
    "ply_elements": "PLY elements a viewer does not read",
    "ply_properties": "PLY properties a viewer does not read",
    "obj_comments": "OBJ comments",
    "obj_names": "Object and group names",
    "mtl_comments": "Material file comments",
    "material_names": "Material names",
    "file_references": "Names and paths of linked files",
    "other_text": "Unrecognised text lines",
}
NOTE_LABELS = {
    "files_anonymized": "Images anonymized",
    "files_held": "Images that may show identifying text",
    "dicomdir_dropped": "The DICOMDIR index was left out (viewers do not need it)",
    "pixels_unchanged": "Image pixels are unchanged",
    "pixels_reencoded_lossless": "Image re-saved losslessly; pixels verified identical",
    "orientation_kept": "Orientation kept",
    "orientation_unknown": "The original orientation could not be read",
    "geometry_unchanged": "Geometry is unchanged",
    "mtllib_dropped": "Link to the material file removed",
    "material_not_in_mapping": "Materials missing from the given mapping were renamed",
    "copied_unchanged": "Copied unchanged; the practice decides whether to share it",
}
HOLD_REASONS = {
    "burned_in_annotation": "The image may show identifying text in its pixels",
    "recognizable_visual_features": "The image may show the patient's face or features",
    "not_anonymizable": "The file's metadata cannot be removed automatically",
}


class AnonymizationFailed(SandboxError):
    """The derivative could not be made. ``reason``: "malformed" (not a valid file of the
    announced format), or the sandbox's "timeout" | "memory" | "crashed" | "failed". A
    :class:`SandboxError`, so a caller that handles parser failures handles this too."""

    def __init__(self, message: str, *, reason: str = "malformed", detail: str = ""):
        super().__init__(message, reason=reason, detail=detail)


class _Report:
    def __init__(self, kind: str):
        self.kind = kind
        self.counts: dict[str, int] = {}
        self.notes: dict[str, int | None] = {}
        self.hold_reason: str | None = None

    def add(self, code: str, count: int = 1) -> None:
        if count:
            self.counts[code] = self.counts.get(code, 0) + count

    def note(self, code: str, count: int | None = None) -> None:
        if count is None:
            self.notes.setdefault(code, None)
        else:
            self.notes[code] = (self.notes.get(code) or 0) + count

    def hold(self, reason: str) -> None:
        if self.hold_reason is None:
            self.hold_reason = reason

    def as_dict(self) -> dict[str, Any]:
        notes = []
        for code, count in self.notes.items():
            note: dict[str, Any] = {"code": code, "label": NOTE_LABELS[code]}
            if count is not None:
                note["count"] = count
            notes.append(note)
        return {
            "kind": self.kind,
            "removed": [
                {"code": code, "label": REMOVED_LABELS[code], "count": count}
                for code, count in self.counts.items()
            ],
            "held": self.hold_reason is not None,
            "hold_reason": self.hold_reason,
            "notes": notes,
        }


# --- Running in the sandbox -------------------------------------------------------------------

_BYTES_PER_SECOND = 10 * 1024 * 1024  # generous floor for the slowest path (ASCII STL lines)


def _sandboxed(func: Callable[..., Any], src: str | os.PathLike, *args: Any, **kwargs: Any) -> Any:
    """Run ``func(src, *args, **kwargs)`` in the sandbox; time allowed grows with the file."""
    dst = kwargs.get("dst")
    try:
        size = os.path.getsize(src)
    except OSError as exc:
        raise AnonymizationFailed("The file to anonymize is missing.", reason="failed") from exc
    timeout = DEFAULT_TIMEOUT + size / _BYTES_PER_SECOND
    try:
        return run_limited(func, os.fspath(src), *args, timeout=timeout, **kwargs)
    except SandboxError as exc:
        if dst is not None:
            Path(dst).unlink(missing_ok=True)
        malformed = exc.detail.startswith(f"{AnonymizationFailed.__name__}:")
        message = exc.detail.split("\n", 1)[0].split(": ", 1)[-1] if malformed else str(exc)
        raise AnonymizationFailed(
            message, reason="malformed" if malformed else exc.reason, detail=exc.detail
        ) from exc


# --- DICOM --------------------------------------------------------------------------------------

_TABLE_LISTS = (  # the order of dicomanonymizer.simpledicomanonymizer.initialize_actions
    ("D", "D_TAGS"),
    ("Z", "Z_TAGS"),
    ("X", "X_TAGS"),
    ("U", "U_TAGS"),
    ("Z/D", "Z_D_TAGS"),
    ("X/Z", "X_Z_TAGS"),
    ("X/D", "X_D_TAGS"),
    ("X/Z/D", "X_Z_D_TAGS"),
    ("X/Z/U*", "X_Z_U_STAR_TAGS"),
)
# What we do where the table allows a choice (see the module docstring).
APPLIED_ACTION = {
    "D": "D",
    "Z": "Z",
    "X": "X",
    "U": "U",
    "Z/D": "D",
    "X/Z": "Z",
    "X/D": "D",
    "X/Z/D": "D",
    "X/Z/U*": "U*",
}
BURNED_IN_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture and its multi-frame kinds
DEIDENTIFICATION_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")
DEIDENTIFICATION_METHOD = "PS3.15 Basic Application Level Confidentiality Profile"
_FILE_META_DROPPED = (
    0x00020016,  # Source Application Entity Title
    0x00020017,  # Sending Application Entity Title
    0x00020018,  # Receiving Application Entity Title
    0x00020026,  # Source Presentation Address
    0x00020027,  # Sending Presentation Address
    0x00020028,  # Receiving Presentation Address
    0x00020100,  # Private Information Creator UID
    0x00020102,  # Private Information
)
_DATE_VRS = ("DA", "DT", "TM")
_DUMMY_TEXT = "ANONYMIZED"
_DUMMY_BYTES = b"ANONYMIZED\0\0\0\0\0\0"  # 16 bytes: a whole number of words for OW/OF/OD/OV
_DUMMY_BY_VR: dict[str, Any] = {
    "DA": "19000101",
    "DT": "19000101000000",
    "TM": "000000",
    "AS": "000D",
    "DS": "0",
    "IS": "0",
    "AT": 0,
    **dict.fromkeys(("US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"), 0),
    **dict.fromkeys(("OB", "OW", "OD", "OF", "OL", "OV", "UN"), _DUMMY_BYTES),
}


@functools.cache
def basic_profile_table() -> tuple[dict[int, str], list[tuple[int, int, int, int, str]]]:
    """The Basic Profile as dicom-anonymizer carries it: ``({tag: action}, [(group, element,
    group_mask, element_mask, action)])`` for the repeating groups (curves, overlays). Actions
    are the table's own codes ("D", "X/Z", "X/Z/U*", ...)."""
    from dicomanonymizer import dicomfields

    single: dict[int, str] = {}
    masked: list[tuple[int, int, int, int, str]] = []
    for action, name in _TABLE_LISTS:
        for entry in getattr(dicomfields, name):
            if len(entry) == 4:
                masked.append((*entry, action))
            else:
                single[(entry[0] << 16) | entry[1]] = action
    return single, masked


class _DicomContext:
    def __init__(self, uid_map: dict[str, str], report: _Report):
        self.uid_map = uid_map
        self.report = report
        self.single, self.masked = basic_profile_table()

    def action_for(self, tag: int) -> str | None:
        action = self.single.get(tag)
        if action is None:
            group, element = tag >> 16, tag & 0xFFFF
            for g, e, gmask, emask, masked_action in self.masked:
                if group & gmask == g and element & emask == e:
                    return APPLIED_ACTION[masked_action]
            return None
        return APPLIED_ACTION[action]

    def new_uid(self, old: str) -> str:
        from pydicom.uid import generate_uid

        new = self.uid_map.get(old)
        if new is None:
            new = self.uid_map[old] = generate_uid(prefix=None)  # 2.25.<random UUID>
        return new


def _category(element) -> str:
    return "dicom_dates" if element.VR in _DATE_VRS else "dicom_identifying_attributes"


def _remap_uids(element, ctx: _DicomContext) -> None:
    from pydicom.multival import MultiValue

    if element.is_empty:
        return
    if isinstance(element.value, MultiValue):
        element.value = [ctx.new_uid(str(v)) for v in element.value]
        ctx.report.add("dicom_uids_remapped", len(element.value))
    else:
        element.value = ctx.new_uid(str(element.value))
        ctx.report.add("dicom_uids_remapped")


def _is_sequence(ds, tag) -> bool:
    from pydicom.datadict import dictionary_VR

    vr = getattr(ds.get_item(tag), "VR", None)
    if vr is None:
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            return False
    return vr == "SQ"


def _strip_private_and_lengths(ds, ctx: _DicomContext) -> None:
    for tag in list(ds.keys()):
        if tag.is_private:
            del ds[tag]
            ctx.report.add("dicom_private_tags")
        elif tag.element == 0 and tag.group != 0:  # group lengths go stale; optional anyway
            del ds[tag]


def _profile(ds, ctx: _DicomContext) -> None:
    """Apply the Basic Profile to ``ds`` and, recursively, to every sequence item in it."""
    _strip_private_and_lengths(ds, ctx)
    for tag in list(ds.keys()):
        action = ctx.action_for(tag)
        if action is None:
            if _is_sequence(ds, tag):
                for item in ds[tag].value:
                    _profile(item, ctx)
            continue
        element = ds[tag]
        if action == "X":
            if not element.is_empty:
                ctx.report.add(_category(element))
            del ds[tag]
        elif action == "Z":
            if not element.is_empty:
                ctx.report.add(_category(element))
            element.value = [] if element.VR == "SQ" else None
        elif action == "D":
            ctx.report.add(_category(element))
            _replace_with_dummy(element, ctx)
        elif element.VR == "UI":  # U, or U* on a UID
            _remap_uids(element, ctx)
        elif element.VR == "SQ":  # U* on a sequence: keep it, its items profiled
            for item in element.value:
                _profile(item, ctx)
        else:  # U* on anything else: empty it
            if not element.is_empty:
                ctx.report.add(_category(element))
            element.value = None


def _replace_with_dummy(element, ctx: _DicomContext) -> None:
    """D: a non-empty dummy consistent with the VR; UIDs are remapped, sequences have every
    value of their items replaced."""
    vr = element.VR
    if vr == "UI":
        _remap_uids(element, ctx)
    elif vr == "SQ":
        for item in element.value:
            _strip_private_and_lengths(item, ctx)
            for tag in list(item.keys()):
                _replace_with_dummy(item[tag], ctx)
    else:
        element.value = _DUMMY_BY_VR.get(vr, _DUMMY_TEXT)


def _hold_reason(ds) -> str | None:
    sop_class = str(ds.get("SOPClassUID", ""))
    if (
        sop_class == BURNED_IN_SOP_CLASS
        or sop_class.startswith(BURNED_IN_SOP_CLASS + ".")
        or str(ds.get("BurnedInAnnotation", "")).upper() == "YES"
    ):
        return "burned_in_annotation"
    if str(ds.get("RecognizableVisualFeatures", "")).upper() == "YES":
        return "recognizable_visual_features"
    return None


def _anonymize_dataset(ds, uid_map: dict[str, str], report: _Report) -> str | None:
    """The whole DICOM treatment of one instance, in place; returns its hold reason."""
    import pydicom
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID

    if "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
        raise AnonymizationFailed("The DICOM file has no SOP Class or SOP Instance UID.")
    reason = _hold_reason(ds)
    if reason:
        report.hold(reason)
    ctx = _DicomContext(uid_map, report)
    dates_before = report.counts.get("dicom_dates", 0)
    _profile(ds, ctx)

    meta = ds.file_meta
    for tag in _FILE_META_DROPPED:
        if tag in meta:
            del meta[tag]
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"PYDICOM {pydicom.__version__}"[:16]

    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = DEIDENTIFICATION_METHOD
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = DEIDENTIFICATION_CODE
    ds.DeidentificationMethodCodeSequence = Sequence([code])
    if report.counts.get("dicom_dates", 0) > dates_before:
        ds.LongitudinalTemporalInformationModified = "MODIFIED"
    ds.preamble = b"\0" * 128
    return reason


def _read_dicom(source: str | BinaryIO):
    import pydicom

    try:
        ds = pydicom.dcmread(source, force=False)
        ds.file_meta  # noqa: B018 - a file without meta is not a DICOM file we can rewrite
    except Exception as exc:
        raise AnonymizationFailed("The file is not a readable DICOM file.") from exc
    if "TransferSyntaxUID" not in ds.file_meta:
        raise AnonymizationFailed("The DICOM file has no transfer syntax.")
    return ds


def _write_dicom(ds, target: str | BinaryIO) -> None:
    ds.save_as(target, enforce_file_format=True)


def _dicom_file(src: str, dst: str, uid_map: dict[str, str]) -> tuple[dict, dict[str, str]]:
    report = _Report("dicom")
    ds = _read_dicom(src)
    try:
        _anonymize_dataset(ds, uid_map, report)
        _write_dicom(ds, dst)
    except AnonymizationFailed:
        raise
    except Exception as exc:
        raise AnonymizationFailed("The DICOM file could not be anonymized.") from exc
    report.note("files_anonymized", 1)
    if report.hold_reason:
        report.note("files_held", 1)
    return report.as_dict(), uid_map


def anonymize_dicom_file(
    src: str | os.PathLike, dst: str | os.PathLike, *, uid_map: dict[str, str]
) -> dict:
    """Write an anonymized copy of one DICOM instance to ``dst`` (FIL-3).

    ``uid_map`` (original UID → new UID) is read and updated in place, so the files of one study
    anonymized one by one with the same dict keep consistent UIDs. It links new UIDs to the
    originals: keep it with the practice's data, never with the derivative."""
    report, new_map = _sandboxed(_dicom_file, src, dst=os.fspath(dst), uid_map=dict(uid_map))
    uid_map.update(new_map)
    return report


def _zip_info(name: str) -> zipfile.ZipInfo:
    # A fixed date: member times would otherwise tell when the study was made.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _dicom_zip(src_zip: str, dst: str) -> dict:
    report = _Report("dicom-zip")
    uid_map: dict[str, str] = {}
    written = held = 0
    try:
        zin = zipfile.ZipFile(src_zip)
    except (zipfile.BadZipFile, OSError) as exc:
        raise AnonymizationFailed("The file is not a readable ZIP archive.") from exc
    with zin, zipfile.ZipFile(dst, "w") as zout:
        for member in zin.infolist():  # entry by entry; never extracted to a path
            if member.is_dir():
                continue
            basename = re.split(r"[/\\]", member.filename)[-1]
            if basename.upper() == "DICOMDIR":
                report.add("dicom_dicomdir")
                report.note("dicomdir_dropped")
                continue
            try:
                with zin.open(member) as entry:
                    data = entry.read()
            except Exception as exc:
                raise AnonymizationFailed("A file in the ZIP archive cannot be read.") from exc
            if data[128:132] != b"DICM":  # readme, viewer programs, thumbnails...
                report.add("other_files")
                continue
            ds = _read_dicom(io.BytesIO(data))
            try:
                held += _anonymize_dataset(ds, uid_map, report) is not None
                out = io.BytesIO()
                _write_dicom(ds, out)
            except AnonymizationFailed:
                raise
            except Exception as exc:
                raise AnonymizationFailed("A DICOM file could not be anonymized.") from exc
            written += 1
            zout.writestr(_zip_info(f"IMG{written:05d}.dcm"), out.getvalue(), compresslevel=1)
    if not written:
        raise AnonymizationFailed("The ZIP archive holds no DICOM files.")
    report.note("files_anonymized", written)
    if held:
        report.note("files_held", held)
    return report.as_dict()


def anonymize_dicom_zip(src_zip: str | os.PathLike, dst_zip: str | os.PathLike) -> dict:
    """Anonymize a ZIP of DICOM instances (a series or a study) into a new ZIP (FIL-3).

    Members are streamed one by one (never extracted by their archive names) and written as
    ``IMG00001.dcm``, ``IMG00002.dcm``... in archive order, with one UID map across the archive.
    A DICOMDIR and members that are not DICOM files are left out (and reported). ``held`` if any
    image may carry burned-in identity; ``notes`` say how many."""
    return _sandboxed(_dicom_zip, src_zip, dst=os.fspath(dst_zip))


# --- Photos -------------------------------------------------------------------------------------

_ORIENTATION = 0x0112
_EXIF_IFD, _GPS_IFD, _MAKER_NOTE = 0x8769, 0x8825, 0x927C


def _classify_exif(tiff_bytes: bytes, report: _Report) -> int | None:
    """Count what an EXIF block held; return its orientation (None if unreadable)."""
    from PIL import Image

    exif = Image.Exif()
    try:
        exif.load(b"Exif\x00\x00" + tiff_bytes)
        gps = exif.get_ifd(_GPS_IFD)
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # unreadable EXIF is dropped all the same
        report.add("exif")
        return None
    maker = 1 if _MAKER_NOTE in sub else 0
    base = sum(1 for tag in exif if tag not in (_EXIF_IFD, _GPS_IFD))
    report.add("exif", base + len(sub) - maker or 1)
    report.add("gps", len(gps))
    report.add("maker_notes", maker)
    orientation = exif.get(_ORIENTATION, 1)
    return orientation if isinstance(orientation, int) else None


def _orientation_exif(orientation: int) -> bytes:
    """A minimal EXIF block (b"Exif\\0\\0" + TIFF) holding only the orientation."""
    from PIL import Image

    exif = Image.Exif()
    exif[_ORIENTATION] = orientation
    return exif.tobytes()


def _decoded_frames(path: str) -> list[tuple[str, tuple[int, int], bytes]]:
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        return [(f.mode, f.size, f.tobytes()) for f in ImageSequence.Iterator(im)]


def _check_same_pixels(src: str, dst: str) -> None:
    try:
        before = _decoded_frames(src)
    except Exception as exc:
        raise AnonymizationFailed("The image cannot be decoded.") from exc
    if _decoded_frames(dst) != before:
        raise AnonymizationFailed("The anonymized image would not have the same pixels.")


def _jpeg_segments(data: bytes) -> Iterable[tuple[int, bytes, bytes]]:
    """Yield ``(marker, whole segment, payload)`` through EOI; entropy-coded data after SOS
    comes as marker 0 (its bytes untouched); data after EOI as marker -1."""
    if data[:2] != b"\xff\xd8":
        raise AnonymizationFailed("The file is not a JPEG image.")
    yield 0xD8, data[:2], b""
    pos, size = 2, len(data)
    while True:
        if pos + 2 > size or data[pos] != 0xFF:
            raise AnonymizationFailed("The JPEG image is truncated or damaged.")
        while pos + 2 <= size and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos + 1]
        if marker == 0xD9:
            yield marker, data[pos : pos + 2], b""
            if pos + 2 < size:
                yield -1, data[pos + 2 :], b""
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            yield marker, data[pos : pos + 2], b""
            pos += 2
            continue
        if pos + 4 > size:
            raise AnonymizationFailed("The JPEG image is truncated or damaged.")
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > size:
            raise AnonymizationFailed("The JPEG image is truncated or damaged.")
        yield marker, data[pos:end], data[pos + 4 : end]
        pos = end
        if marker == 0xDA:  # start of scan: the entropy-coded data runs to the next marker
            scan = pos
            while True:
                ff = data.find(b"\xff", scan)
                if ff < 0 or ff + 1 >= size:
                    raise AnonymizationFailed("The JPEG image is truncated or damaged.")
                following = data[ff + 1]
                if following == 0 or 0xD0 <= following <= 0xD7:  # stuffed byte, restart
                    scan = ff + 2
                elif following == 0xFF:
                    scan = ff + 1
                else:
                    break
            yield 0, data[pos:ff], b""
            pos = ff


# The segments a decoder needs for the pixels: quantization and Huffman tables, arithmetic
# conditioning, restart interval, frame and scan headers (and the scan data after SOS), DNL.
_JPEG_KEPT = frozenset(
    {0xDB, 0xC4, 0xCC, 0xDD, 0xDA, 0xDC, 0xD9}
    | {marker for marker in range(0xC0, 0xD0) if marker not in (0xC4, 0xC8, 0xCC)}
)
_ICC_CHUNK = 65533 - 14  # an APP2 payload's room after "ICC_PROFILE\0", number, count


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def _jpeg_dropped_code(marker: int, payload: bytes) -> str:
    """The report code a segment outside the allow-list is removed under."""
    if marker == 0xFE:
        return "comments"
    if marker == 0xE1 and payload.startswith(b"http://ns.adobe.com/"):
        return "xmp"
    if marker == 0xED:
        return "iptc"
    return "other_metadata"


def reduced_icc(profile: bytes, report: _Report) -> bytes | None:
    """The profile reduced to its rendering tags (``icc.reduce_profile``), or None (and
    reported) when it cannot be read: the colours then fall back to sRGB, the pixels stay."""
    from PIL import ImageCms

    from dentalbridge.files import icc

    try:
        reduced, dropped = icc.reduce_profile(profile)
        ImageCms.ImageCmsProfile(io.BytesIO(reduced))  # a colour engine still reads it
    except Exception:
        report.add("icc_profile")
        return None
    report.add("icc_text", dropped)
    return reduced


def _jfif(payload: bytes) -> bytes:
    """A JFIF APP0 with the original density and nothing else (no thumbnail, no extra bytes)."""
    units, density = (payload[7], payload[8:12]) if len(payload) >= 12 else (0, b"\0\1\0\1")
    return b"JFIF\0\x01\x02" + bytes([units if units <= 2 else 0]) + density + b"\0\0"


def _adobe(payload: bytes) -> bytes:
    """An Adobe APP14 with only the colour transform flag decoders read (version 100)."""
    transform = payload[11] if len(payload) >= 12 and payload[11] <= 2 else 0
    return b"Adobe\0\x64\0\0\0\0" + bytes([transform])


def _photo_jpeg(src: str, dst: str, report: _Report) -> None:
    """Rebuild the JPEG from an allow-list: SOI, a fresh JFIF APP0 (density only) if the
    original had one, a minimal EXIF with only the orientation, the reduced ICC profile, a
    fresh Adobe APP14 (colour transform only) if the original had one, then the decoding
    segments and scan data as they were, and EOI. Nothing else is copied."""
    data = Path(src).read_bytes()
    kept: list[bytes] = []
    orientation: int | None = 1
    saw_exif = False
    jfif: bytes | None = None
    adobe: bytes | None = None
    icc_chunks: dict[int, bytes] = {}
    for marker, segment, payload in _jpeg_segments(data):
        if marker == -1:
            report.add("trailing_data")
        elif marker == 0xD8:
            continue
        elif marker == 0 or marker in _JPEG_KEPT:
            kept.append(segment)
        elif marker == 0xE0 and payload.startswith(b"JFIF\0") and jfif is None:
            jfif = _jfif(payload)
            if jfif != payload:
                report.add("other_metadata")
        elif marker == 0xEE and payload.startswith(b"Adobe") and adobe is None:
            adobe = _adobe(payload)
            if adobe != payload:
                report.add("other_metadata")
        elif marker == 0xE2 and payload.startswith(b"ICC_PROFILE\0") and len(payload) > 14:
            icc_chunks.setdefault(payload[12], payload[14:])
        elif marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            found = _classify_exif(payload[6:], report)
            if not saw_exif:
                orientation, saw_exif = found, True
        else:
            report.add(_jpeg_dropped_code(marker, payload))
    out = [b"\xff\xd8"]
    if jfif is not None:
        out.append(_jpeg_segment(0xE0, jfif))
    if orientation is None:
        report.note("orientation_unknown")
    elif orientation != 1:
        out.append(_jpeg_segment(0xE1, _orientation_exif(orientation)))
        report.note("orientation_kept")
    whole = b"".join(icc_chunks[number] for number in sorted(icc_chunks))
    profile = reduced_icc(whole, report) if whole else None
    if profile:
        chunks = [profile[i : i + _ICC_CHUNK] for i in range(0, len(profile), _ICC_CHUNK)]
        for number, chunk in enumerate(chunks, start=1):
            header = b"ICC_PROFILE\0" + bytes([number, len(chunks)])
            out.append(_jpeg_segment(0xE2, header + chunk))
    if adobe is not None:
        out.append(_jpeg_segment(0xEE, adobe))
    Path(dst).write_bytes(b"".join(out + kept))


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks kept, with the lengths their specification allows (None: checked below). Numbers only:
# IHDR, the colour chunks a viewer renders with, pHYs (print size), APNG's frame controls.
_PNG_KEPT: dict[bytes, frozenset[int] | None] = {
    b"IHDR": frozenset({13}), b"PLTE": None, b"tRNS": None, b"IEND": frozenset({0}),
    b"gAMA": frozenset({4}), b"cHRM": frozenset({32}), b"sRGB": frozenset({1}),
    b"cICP": frozenset({4}), b"mDCV": frozenset({24}), b"cLLI": frozenset({8}),
    b"sBIT": frozenset({1, 2, 3, 4}), b"bKGD": frozenset({1, 2, 6}), b"pHYs": frozenset({9}),
    b"acTL": frozenset({8}), b"fcTL": frozenset({26}),
}  # fmt: skip
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))  # fmt: skip
_MAX_ICC = 16 * 1024 * 1024


def _png_text_code(chunk_type: bytes, data: bytes) -> str:
    keyword = data.split(b"\0", 1)[0].lower()
    if keyword == b"xml:com.adobe.xmp" or keyword == b"raw profile type xmp":
        return "xmp"
    if keyword in (b"raw profile type exif", b"raw profile type app1"):
        return "exif"
    if keyword in (b"raw profile type iptc", b"raw profile type 8bim"):
        return "iptc"
    return "comments"


def _png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def _png_raw_size(width: int, height: int, ihdr: bytes) -> int:
    """Bytes of filtered scanlines an image of this size decompresses to."""
    depth, colour, interlace = ihdr[8], ihdr[9], ihdr[12]
    bits = _PNG_CHANNELS.get(colour, 0) * depth
    if not bits or width <= 0 or height <= 0:
        raise AnonymizationFailed("The PNG image header is invalid.")

    def size(w: int, h: int) -> int:
        return h * (1 + (w * bits + 7) // 8) if w and h else 0

    if not interlace:
        return size(width, height)
    return sum(
        size((width - x + dx - 1) // dx if width > x else 0, (height - y + dy - 1) // dy
             if height > y else 0)
        for x, y, dx, dy in _ADAM7
    )  # fmt: skip


def _png_recompressed(pieces: list[bytes], raw_size: int) -> bytes:
    """The image data decompressed to exactly the scanlines the image has and compressed
    again: bytes after the zlib stream or after the last scanline do not come along."""
    inflate, deflate = zlib.decompressobj(), zlib.compressobj(9)
    out, remaining = [], raw_size
    for piece in pieces:
        while piece and remaining:
            raw = inflate.decompress(piece, min(remaining, _CHUNK))
            remaining -= len(raw)
            out.append(deflate.compress(raw))
            piece = inflate.unconsumed_tail
            if not raw and not piece:
                break
        if not remaining:
            break
    if remaining:
        raise AnonymizationFailed("The PNG image data is shorter than the image.")
    out.append(deflate.flush())
    return b"".join(out)


def _png_icc(body: bytes, report: _Report) -> bytes | None:
    rest = body.partition(b"\0")[2]  # after the profile's name, which is not kept
    if not rest or rest[0] != 0:
        report.add("icc_profile")
        return None
    try:
        inflate = zlib.decompressobj()
        profile = inflate.decompress(rest[1:], _MAX_ICC)
    except zlib.error:
        report.add("icc_profile")
        return None
    reduced = reduced_icc(profile, report)
    if reduced is None:
        return None
    return b"ICC profile\0\0" + zlib.compress(reduced, 9)


def _png_length_ok(chunk_type: bytes, body: bytes, ihdr: bytes) -> bool:
    allowed = _PNG_KEPT[chunk_type]
    if allowed is not None:
        return len(body) in allowed
    if chunk_type == b"PLTE":
        return len(body) % 3 == 0 and 0 < len(body) <= 768
    return len(body) <= 256  # tRNS: one alpha per palette entry, or one grey/RGB sample


def _photo_png(src: str, dst: str, report: _Report) -> None:
    """Rebuild the PNG from an allow-list: IHDR, PLTE, tRNS, the colour chunks (lengths
    checked; the ICC profile reduced), pHYs, the image data recompressed to exactly its
    scanlines (APNG: its frame controls and frames, renumbered), an orientation-only eXIf,
    IEND. Text, EXIF, time, private and unknown chunks and anything after IEND are left out."""
    data = Path(src).read_bytes()
    if not data.startswith(_PNG_SIGNATURE):
        raise AnonymizationFailed("The file is not a PNG image.")
    out: list[bytes | int] = [_PNG_SIGNATURE]  # an int: the index of a frame's image data
    frames: list[tuple[bytes, list[bytes], int]] = []  # (IDAT or fdAT, pieces, raw size)
    pos, size = len(_PNG_SIGNATURE), len(data)
    orientation: int | None = 1
    ihdr = b""
    frame_size = 0
    current: tuple[bytes, list[bytes], int] | None = None  # the frame being collected
    first_idat = None
    while True:
        if pos + 12 > size:
            raise AnonymizationFailed("The PNG image is truncated or damaged.")
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > size or not chunk_type.isalpha() or (not ihdr and chunk_type != b"IHDR"):
            raise AnonymizationFailed("The PNG image is truncated or damaged.")
        body = data[pos + 8 : pos + 8 + length]
        pos = end
        if chunk_type == b"IHDR":
            if len(body) != 13 or ihdr:
                raise AnonymizationFailed("The PNG image header is invalid.")
            ihdr = body
            width, height = struct.unpack(">II", body[:8])
            frame_size = _png_raw_size(width, height, body)
        if chunk_type in (b"IDAT", b"fdAT"):
            if current is None or current[0] != chunk_type:
                current = (chunk_type, [], frame_size)
                frames.append(current)
                out.append(len(frames) - 1)
                if chunk_type == b"IDAT" and first_idat is None:
                    first_idat = len(out) - 1
            current[1].append(body if chunk_type == b"IDAT" else body[4:])
            continue
        current = None
        if chunk_type == b"fcTL" and len(body) == 26:
            width, height = struct.unpack(">II", body[4:12])
            frame_size = _png_raw_size(width, height, ihdr)
        if chunk_type in _PNG_KEPT and _png_length_ok(chunk_type, body, ihdr):
            out.append(_png_chunk(chunk_type, body))
        elif chunk_type == b"iCCP":
            icc_body = _png_icc(body, report)
            if icc_body is not None:
                out.append(_png_chunk(b"iCCP", icc_body))
        elif chunk_type in (b"tEXt", b"zTXt", b"iTXt"):
            report.add(_png_text_code(chunk_type, body))
        elif chunk_type == b"eXIf":
            orientation = _classify_exif(body, report)
        elif chunk_type == b"tIME":
            report.add("timestamps")
        elif chunk_type in _PNG_KEPT or chunk_type[0:1].isupper():
            raise AnonymizationFailed("The PNG image has a chunk this service cannot read.")
        else:
            report.add("other_metadata")
        if chunk_type == b"IEND":
            if pos < size:
                report.add("trailing_data")
            break
    if first_idat is None:
        raise AnonymizationFailed("The PNG image has no image data.")
    if orientation is None:
        report.note("orientation_unknown")
    elif orientation != 1:  # browsers honour eXIf orientation; eXIf must precede IDAT
        out.insert(first_idat, _png_chunk(b"eXIf", _orientation_exif(orientation)[6:]))
        report.note("orientation_kept")
    written: list[bytes] = []
    sequence = 0  # APNG numbers frame controls and frame data together, from 0
    for item in out:
        if isinstance(item, int):
            kind, pieces, raw_size = frames[item]
            compressed = _png_recompressed(pieces, raw_size)
            if kind == b"fdAT":
                compressed = struct.pack(">I", sequence) + compressed
                sequence += 1
            written.append(_png_chunk(kind, compressed))
        elif item[4:8] == b"fcTL":
            written.append(_png_chunk(b"fcTL", struct.pack(">I", sequence) + item[12:-4]))
            sequence += 1
        else:
            written.append(item)
    Path(dst).write_bytes(b"".join(written))


_TIFF_STRUCTURAL = {
    254, 255, 256, 257, 258, 259, 262, 266, 273, 274, 277, 278, 279, 280, 281, 282, 283, 284,
    290, 291, 296, 297, 317, 318, 319, 320, 321, 322, 323, 324, 325, 332, 338, 339, 340, 341,
    347, 530, 531, 532, 34675,
}  # fmt: skip
_TIFF_CODES = {
    34665: "exif", 34853: "gps", 37500: "maker_notes", 700: "xmp", 33723: "iptc",
    34377: "iptc", 270: "comments", 269: "comments", 285: "comments", 315: "comments",
    33432: "comments", 37510: "comments", 40091: "comments", 40092: "comments",
    40093: "comments", 40094: "comments", 40095: "comments", 306: "timestamps",
}  # fmt: skip


def _photo_tiff(src: str, dst: str, report: _Report) -> None:
    from PIL import Image, ImageSequence

    with Image.open(src) as im:
        if im.format != "TIFF":
            raise AnonymizationFailed("The file is not a TIFF image.")
        frames = []
        for frame in ImageSequence.Iterator(im):
            tiff = cast("TiffImageFile", frame)  # the frames of a TIFF
            for tag in tiff.tag_v2:
                if tag not in _TIFF_STRUCTURAL:
                    report.add(_TIFF_CODES.get(tag, "exif"))
            frame.load()
            # Pillow applies the orientation when it decodes a TIFF (and then drops the tag):
            # the pixels we save are upright already. Keep the tag only if it was not applied.
            orientation = tiff.tag_v2.get(274, 1)
            icc = frame.info.get("icc_profile")
            dpi = frame.info.get("dpi")
            clean = frame.copy()  # a plain image: no tags of the original travel along
            clean.info = {}
            frames.append((clean, orientation, icc, dpi))
    first, orientation, icc, dpi = frames[0]
    options: dict[str, Any] = {"compression": "tiff_lzw", "tiffinfo": {274: orientation}}
    profile = reduced_icc(icc, report) if icc else None
    if profile:
        options["icc_profile"] = profile
    if dpi:
        options["dpi"] = dpi
    first.save(
        dst, format="TIFF", save_all=True, append_images=[f[0] for f in frames[1:]], **options
    )
    if orientation != 1:
        report.note("orientation_kept")


_PHOTO_WORKERS = {"jpeg": _photo_jpeg, "png": _photo_png, "tiff": _photo_tiff}


def _photo(src: str, fmt: str, dst: str) -> dict:
    report = _Report(fmt)
    try:
        _PHOTO_WORKERS[fmt](src, dst, report)
        _check_same_pixels(src, dst)
    except AnonymizationFailed:
        raise
    except Exception as exc:
        raise AnonymizationFailed("The image could not be anonymized.") from exc
    report.note("pixels_reencoded_lossless" if fmt == "tiff" else "pixels_unchanged")
    return report.as_dict()


def anonymize_photo(src: str | os.PathLike, dst: str | os.PathLike, *, fmt: str) -> dict:
    """Remove EXIF (GPS, maker notes), XMP, IPTC and comments from a ``jpeg``, ``png`` or
    ``tiff`` photo (FIL-3). JPEG and PNG are rewritten without re-encoding; the ICC profile and
    the orientation are kept (see the module docstring for TIFF). The decoded pixels of the
    output are checked identical to the input's."""
    if fmt not in _PHOTO_WORKERS:
        raise ValueError(f"Unknown photo format {fmt!r}")
    return _sandboxed(_photo, src, fmt, dst=os.fspath(dst))


# --- Meshes -------------------------------------------------------------------------------------

_CHUNK = 1024 * 1024
_MAX_LINE = 1024 * 1024  # a longer "line" means the file is not the text format it claims
_STL_HEADER = 80


STL_HEADER = b"Binary STL, anonymized".ljust(_STL_HEADER, b" ")  # never "solid": not ASCII
_TRIANGLE = 50
_TRIANGLES_PER_CHUNK = 20_000
# One binary STL triangle: normal, three vertices, two attribute bytes (little-endian).
_STL_RECORD_DTYPE = [("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")]


def _stl_normals(vertices: Any) -> Any:
    """Each triangle's unit normal from its vertices (counter-clockwise, right-hand rule), zero
    for a degenerate one: what a viewer computes anyway, and no room for anything else."""
    import numpy as np

    v = vertices.astype(np.float64)
    normals = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(lengths > 0, normals / lengths, 0.0)
    return np.nan_to_num(unit, nan=0.0, posinf=0.0, neginf=0.0).astype("<f4")


def _stl_binary(src: str, dst: str, report: _Report) -> None:
    """The header replaced by a fixed text, each triangle's vertices copied and its normal
    recomputed from them (a stored normal is 12 bytes anyone could fill), its two attribute
    bytes zeroed (they can spell anything), bytes after the last triangle dropped."""
    import numpy as np

    size = os.path.getsize(src)
    with open(src, "rb") as fin:
        header = fin.read(_STL_HEADER)
        count_bytes = fin.read(4)
        if len(count_bytes) < 4:
            raise AnonymizationFailed("The file is too short to be a binary STL.")
        triangles = int.from_bytes(count_bytes, "little")
        body = triangles * _TRIANGLE
        if size < _STL_HEADER + 4 + body:
            raise AnonymizationFailed("The binary STL is shorter than its triangle count says.")
        if header.strip(b"\0 "):
            report.add("stl_header")
        attributes = 0
        with open(dst, "wb") as fout:
            fout.write(STL_HEADER + count_bytes)
            left = triangles
            while left:
                count = min(left, _TRIANGLES_PER_CHUNK)
                chunk = bytearray(fin.read(count * _TRIANGLE))
                if len(chunk) < count * _TRIANGLE:
                    raise AnonymizationFailed("The file is shorter than its header says.")
                for offset in (48, 49):
                    attributes += count - chunk[offset::_TRIANGLE].count(0)
                    chunk[offset::_TRIANGLE] = bytes(count)
                records = np.frombuffer(chunk, dtype=_STL_RECORD_DTYPE)
                records["normal"] = _stl_normals(records["vertices"])
                fout.write(records.tobytes())
                left -= count
        report.add("stl_attributes", attributes)
        if size > _STL_HEADER + 4 + body:
            report.add("trailing_data")


def _text_lines(fin: BinaryIO) -> Iterable[bytes]:
    while line := fin.readline(_MAX_LINE):
        if len(line) == _MAX_LINE and not line.endswith(b"\n"):
            raise AnonymizationFailed("The file has a line too long for its format.")
        yield line


def _eol(line: bytes) -> bytes:
    return b"\r\n" if line.endswith(b"\r\n") else b"\n"


def _indent(line: bytes) -> bytes:
    return line[: len(line) - len(line.lstrip())]


# Keyword → (words before the numbers, how many numbers, what is written before them).
_STL_GEOMETRY = {
    b"facet": (2, 3, b"  facet normal"),
    b"outer": (2, 0, b"    outer loop"),
    b"vertex": (1, 3, b"      vertex"),
    b"endloop": (1, 0, b"    endloop"),
    b"endfacet": (1, 0, b"  endfacet"),
}


def _stl_ascii(src: str, dst: str, report: _Report) -> None:
    """Every line rebuilt from its keyword and numbers (the numbers as written): words after
    them, unknown lines and solid names go (names become ``partN``)."""
    solids = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for line in _text_lines(fin):
            if not line.isascii():
                raise AnonymizationFailed("The file is not an ASCII STL.")
            words = line.split()
            keyword = words[0].lower() if words else b""
            if keyword in _STL_GEOMETRY:
                if not solids:
                    raise AnonymizationFailed("The ASCII STL does not start with 'solid'.")
                skip, count, start = _STL_GEOMETRY[keyword]
                numbers = words[skip : skip + count]
                if len(numbers) != count or not all(_NUMBER.match(n) for n in numbers):
                    raise AnonymizationFailed("The ASCII STL has a malformed line.")
                report.add("other_text", len(words) > skip + count)
                fout.write(b" ".join([start, *numbers]) + b"\n")
            elif not keyword:
                continue
            elif keyword == b"solid":
                solids += 1
                report.add("stl_solid_name", len(words) > 1)
                fout.write(b"solid part%d\n" % solids)
            elif keyword == b"endsolid":
                report.add("stl_solid_name", len(words) > 1)
                fout.write(b"endsolid part%d\n" % solids)
            else:
                report.add("other_text")
    if not solids:
        raise AnonymizationFailed("The file is not an ASCII STL.")


_PLY_TYPES = {
    b"char": "i1", b"int8": "i1", b"uchar": "u1", b"uint8": "u1", b"short": "i2",
    b"int16": "i2", b"ushort": "u2", b"uint16": "u2", b"int": "i4", b"int32": "i4",
    b"uint": "u4", b"uint32": "u4", b"float": "f4", b"float32": "f4", b"double": "f8",
    b"float64": "f8",
}  # fmt: skip
# What a mesh viewer or CAM program reads: positions, normals, colours, texture coordinates,
# scanner quality on vertices; the corner list and colour on faces. Other elements and
# properties (edges, materials, a vendor's own fields) are left out with their data.
_PLY_KEPT = {
    b"vertex": {b"x", b"y", b"z", b"nx", b"ny", b"nz", b"red", b"green", b"blue", b"alpha",
                b"s", b"t", b"u", b"v", b"texture_u", b"texture_v", b"quality", b"confidence",
                b"intensity"},
    b"face": {b"vertex_indices", b"vertex_index", b"red", b"green", b"blue", b"alpha",
              b"texcoord"},
}  # fmt: skip
_PLY_FORMATS = {b"ascii": "", b"binary_little_endian": "<", b"binary_big_endian": ">"}
_PLY_RECORDS_PER_CHUNK = 65536


class _PlyProperty:
    def __init__(self, words: list[bytes]):
        if len(words) == 3 and words[1] in _PLY_TYPES:
            self.count_type, self.type, self.name = None, words[1], words[2]
        elif len(words) == 5 and words[1] == b"list" and {words[2], words[3]} <= _PLY_TYPES.keys():
            self.count_type, self.type, self.name = words[2], words[3], words[4]
        else:
            raise AnonymizationFailed("The PLY header has a property it cannot read.")

    def line(self) -> bytes:
        if self.count_type is None:
            return b"property %s %s\n" % (self.type, self.name)
        return b"property list %s %s %s\n" % (self.count_type, self.type, self.name)


class _PlyElement:
    def __init__(self, name: bytes, count: int):
        self.name, self.count = name, count
        self.properties: list[_PlyProperty] = []

    @property
    def kept(self) -> list[bool]:
        allowed = _PLY_KEPT.get(self.name, set())
        return [p.name in allowed for p in self.properties]


def _ply_header(fin: BinaryIO, report: _Report) -> tuple[str, list[_PlyElement]]:
    if fin.readline(8).rstrip(b"\r\n") != b"ply":
        raise AnonymizationFailed("The file is not a PLY file.")
    fmt: str | None = None
    elements: list[_PlyElement] = []
    header = 0
    while True:
        line = fin.readline(_MAX_LINE)
        header += len(line)
        if not line or header > 16 * _MAX_LINE:
            raise AnonymizationFailed("The PLY header has no end.")
        words = line.split()
        keyword = words[0] if words else b""
        if keyword == b"end_header":
            break
        if keyword == b"format" and len(words) == 3 and words[1] in _PLY_FORMATS:
            fmt = _PLY_FORMATS[words[1]]
        elif keyword == b"element" and len(words) == 3 and words[2].isdigit():
            elements.append(_PlyElement(words[1], int(words[2])))
        elif keyword == b"property" and elements:
            elements[-1].properties.append(_PlyProperty(words))
        elif keyword == b"comment":
            report.add("ply_comments")
        elif keyword == b"obj_info":
            report.add("ply_obj_info")
        elif keyword:
            report.add("other_text")
    if fmt is None:
        raise AnonymizationFailed("The PLY header has no format.")
    return fmt, elements


def _ply_write_header(fout: BinaryIO, fmt: str, elements: list[_PlyElement]) -> None:
    name = {v: k for k, v in _PLY_FORMATS.items()}[fmt]
    fout.write(b"ply\nformat %s 1.0\n" % name)
    for element in elements:
        if element.name in _PLY_KEPT and any(element.kept):
            fout.write(b"element %s %d\n" % (element.name, element.count))
            for prop, keep in zip(element.properties, element.kept, strict=True):
                if keep:
                    fout.write(prop.line())
    fout.write(b"end_header\n")


def _ply_count_dropped(element: _PlyElement, report: _Report) -> None:
    if element.name not in _PLY_KEPT:
        report.add("ply_elements")
    else:
        report.add("ply_properties", element.kept.count(False))


def _ply_ascii_body(fin: BinaryIO, fout: BinaryIO, elements: list[_PlyElement],
                    report: _Report) -> None:  # fmt: skip
    """One record per line; every value checked to be a number and written as it was."""
    lines = iter(_text_lines(fin))
    for element in elements:
        keep_element = element.name in _PLY_KEPT and any(element.kept)
        for _ in range(element.count):
            line = next(lines, None)
            if line is None:
                raise AnonymizationFailed("The PLY body is shorter than its header says.")
            words, at, out = line.split(), 0, []
            for prop, keep in zip(element.properties, element.kept, strict=True):
                size = 1
                if prop.count_type is not None:
                    if at >= len(words) or not words[at].isdigit():
                        raise AnonymizationFailed("The PLY body has a malformed list.")
                    size += int(words[at])
                values = words[at : at + size]
                if len(values) < size or not all(_NUMBER.match(v) for v in values):
                    raise AnonymizationFailed("The PLY body has a malformed record.")
                if keep:
                    out += values
                at += size
            report.add("other_text", len(words) > at)
            if keep_element:
                fout.write(b" ".join(out) + b"\n")
    if any(line.strip() for line in lines):
        report.add("trailing_data")


def _ply_read(fin: BinaryIO, size: int) -> bytes:
    data = fin.read(size)
    if len(data) < size:
        raise AnonymizationFailed("The PLY body is shorter than its header says.")
    return data


def _ply_list_length(data: bytes, dtype) -> int:
    import numpy as np

    length = int(np.frombuffer(data, dtype)[0])
    if length < 0:
        raise AnonymizationFailed("The PLY body has a malformed list.")
    return length


def _ply_layout(fin: BinaryIO, properties: list[_PlyProperty], endian: str):
    """The numpy record type of the next record (lists as long as in it), or None at the end;
    the file position is left where it was."""
    import numpy as np

    start, fields = fin.tell(), cast("list[tuple[Any, ...]]", [])
    try:
        for index, prop in enumerate(properties):
            dtype = np.dtype(endian + _PLY_TYPES[prop.type])
            if prop.count_type is None:
                fields.append((f"p{index}", dtype))
                _ply_read(fin, dtype.itemsize)
                continue
            count_dtype = np.dtype(endian + _PLY_TYPES[prop.count_type])
            length = _ply_list_length(_ply_read(fin, count_dtype.itemsize), count_dtype)
            fields += [(f"n{index}", count_dtype), (f"p{index}", dtype, (length,))]
            _ply_read(fin, dtype.itemsize * length)
    except AnonymizationFailed:
        return None
    finally:
        fin.seek(start)
    return np.dtype(fields)


def _ply_block(fin: BinaryIO, element: _PlyElement, endian: str, block: int) -> bytes | None:
    """``block`` records' kept properties read as one numpy array, if every record has the
    layout of the first (a mesh's triangles do); else None, the position unchanged."""
    from numpy.lib import recfunctions

    layout = _ply_layout(fin, element.properties, endian)
    if layout is None:
        return None
    start = fin.tell()
    raw = fin.read(block * layout.itemsize)
    if len(raw) == block * layout.itemsize:
        import numpy as np

        array = np.frombuffer(raw, layout)
        lists = [i for i, p in enumerate(element.properties) if p.count_type is not None]
        if all((array[f"n{i}"] == layout[f"p{i}"].shape[0]).all() for i in lists):
            names = [
                name
                for i, keep in enumerate(element.kept)
                if keep
                for name in ((f"n{i}", f"p{i}") if i in lists else (f"p{i}",))
            ]
            return recfunctions.repack_fields(array[names]).tobytes() if names else b""
    fin.seek(start)
    return None


def _ply_binary_element(fin: BinaryIO, fout: BinaryIO, element: _PlyElement, endian: str) -> None:
    """Copy the kept properties of ``element``'s records: in blocks where records share one
    layout, else record by record."""
    import numpy as np

    write = element.name in _PLY_KEPT and any(element.kept)
    left = element.count
    while left:
        block = min(left, _PLY_RECORDS_PER_CHUNK)
        left -= block
        data = _ply_block(fin, element, endian, block)
        if data is not None:
            if write:
                fout.write(data)
            continue
        for _ in range(block):
            parts = []
            for prop, keep in zip(element.properties, element.kept, strict=True):
                size, count = np.dtype(_PLY_TYPES[prop.type]).itemsize, b""
                if prop.count_type is not None:
                    count_dtype = np.dtype(endian + _PLY_TYPES[prop.count_type])
                    count = _ply_read(fin, count_dtype.itemsize)
                    size *= _ply_list_length(count, count_dtype)
                values = _ply_read(fin, size)
                if keep:
                    parts.append(count + values)
            if write:
                fout.write(b"".join(parts))


def _ply(src: str, dst: str, report: _Report) -> None:
    """Rebuild the PLY from an allow-list: the format, the vertex and face elements with the
    properties a viewer reads (``_PLY_KEPT``), their values as they were; comments, obj_info,
    other elements and properties (with their data) and bytes after the last record go."""
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fmt, elements = _ply_header(fin, report)
        for element in elements:
            _ply_count_dropped(element, report)
        _ply_write_header(fout, fmt, elements)
        if not fmt:
            _ply_ascii_body(fin, fout, elements, report)
            return
        for element in elements:
            _ply_binary_element(fin, fout, element, fmt)
        if fin.read(1):
            report.add("trailing_data")


_OBJ_DROPPED = {b"call", b"csh", b"maplib", b"usemap"}  # shell commands, texture map libraries


def _new_name(mapping: dict[bytes, bytes], name: bytes, prefix: bytes) -> bytes:
    if name not in mapping:
        mapping[name] = b"%s%d" % (prefix, len(mapping) + 1)
    return mapping[name]


def _split_comment(line: bytes, report: _Report, code: str) -> bytes:
    if b"#" in line:
        report.add(code)
        line = line.split(b"#", 1)[0].rstrip() + _eol(line)
    return line


def _material(materials: dict[bytes, bytes], name: bytes, report: _Report, given: bool) -> bytes:
    if given and name not in materials:
        report.note("material_not_in_mapping")
    return _new_name(materials, name, b"material")


# Statements of numbers: keyword → (fewest, most numbers). Vertices may carry a colour.
_OBJ_NUMBERS = {b"v": (3, 7), b"vt": (1, 3), b"vn": (3, 3), b"vp": (1, 3)}
_OBJ_REFERENCES = {b"f", b"l", b"p"}
_OBJ_REFERENCE = re.compile(rb"^-?\d+(/(-?\d+)?(/-?\d+)?)?$")


def _obj_statement(keyword: bytes, words: list[bytes], report: _Report) -> bytes | None:
    """A geometry statement rebuilt from its keyword and the values its grammar allows; words
    after them and statements outside the allow-list are dropped (None)."""
    if keyword in _OBJ_NUMBERS:
        fewest, most = _OBJ_NUMBERS[keyword]
        values = []
        for word in words[1 : 1 + most]:
            if not _NUMBER.match(word):
                break
            values.append(word)
        if len(values) < fewest:
            raise AnonymizationFailed("The OBJ file has a malformed vertex.")
        report.add("other_text", len(words) > 1 + len(values))
        return b" ".join([keyword, *values])
    if keyword in _OBJ_REFERENCES:
        references = [word for word in words[1:] if _OBJ_REFERENCE.match(word)]
        report.add("other_text", len(words) > 1 + len(references))
        return b" ".join([keyword, *references])
    if keyword == b"s":
        value = words[1] if len(words) > 1 else b"off"
        if not (value.isdigit() or value.lower() == b"off"):
            report.add("other_text")
            value = b"1"
        return b"s " + value
    if keyword:
        report.add("other_text")
    return None


def _obj(
    src: str, dst: str, report: _Report, mtl_name: str | None, materials: dict[str, str] | None
) -> None:
    names: dict[bytes, dict[bytes, bytes]] = {b"o": {}, b"g": {}}
    mats = {k.encode(): v.encode() for k, v in (materials or {}).items()}
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for original in _text_lines(fin):
            if original.lstrip().startswith(b"#"):
                report.add("obj_comments")
                continue
            line = _split_comment(original, report, "obj_comments")
            words = line.split()
            keyword = words[0] if words else b""
            eol = _eol(line)
            if keyword in (b"o", b"g") and len(words) > 1:
                report.add("obj_names", len(words) - 1)
                prefix = b"object" if keyword == b"o" else b"group"
                new = [_new_name(names[keyword], w, prefix) for w in words[1:]]
                fout.write(keyword + b" " + b" ".join(new) + eol)
            elif keyword == b"mtllib":
                report.add("file_references", len(words) - 1)
                if mtl_name:
                    fout.write(b"mtllib " + mtl_name.encode() + eol)
                else:
                    report.note("mtllib_dropped")
            elif keyword == b"usemtl" and len(words) > 1:
                report.add("material_names")
                name = line.split(None, 1)[1].strip()
                fout.write(b"usemtl " + _material(mats, name, report, bool(materials)) + eol)
            elif keyword in _OBJ_DROPPED:
                report.add("file_references")
            else:
                kept = _obj_statement(keyword, words, report)
                if kept:
                    fout.write(kept + eol)


_MTL_MAPS = {b"map_ka", b"map_kd", b"map_ks", b"map_ns", b"map_d", b"map_bump", b"bump",
             b"disp", b"decal", b"refl", b"map_pr", b"map_pm", b"map_ps", b"map_ke", b"norm",
             b"map_aat"}  # fmt: skip


# Texture map options and how many arguments they take (at most, for the numeric ones).
_MTL_OPTIONS = {b"-blendu": 1, b"-blendv": 1, b"-cc": 1, b"-clamp": 1, b"-imfchan": 1,
                b"-type": 1, b"-texres": 1, b"-bm": 1, b"-boost": 1, b"-mm": 2, b"-o": 3,
                b"-s": 3, b"-t": 3}  # fmt: skip
_NUMBER = re.compile(rb"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _texture_line(line: bytes, words: list[bytes], report: _Report) -> bytes:
    """Keep only the file name of a texture path: folders often name the patient or practice.
    The path is what follows the options, and may contain spaces."""
    i = 1
    while i < len(words) and words[i].lower() in _MTL_OPTIONS:
        arguments = _MTL_OPTIONS[words[i].lower()]
        i += 1
        taken = 0
        while taken < arguments and i < len(words) and (arguments == 1 or _NUMBER.match(words[i])):
            i += 1
            taken += 1
    path = b" ".join(words[i:])
    base = ntpath.basename(path.decode("utf-8", "surrogateescape"))  # splits on / and \\
    new = base.encode("utf-8", "surrogateescape")
    if new != path:
        report.add("file_references")
    return _indent(line) + b" ".join([*words[:i], new]) + _eol(line)


# Material statements of numbers (colours, exponents, transparency, illumination model, PBR);
# a colour given by a spectral file or "xyz" keeps only its numbers.
_MTL_NUMBERS = {b"ka", b"kd", b"ks", b"ke", b"tf", b"ns", b"ni", b"d", b"tr", b"illum",
                b"sharpness", b"pr", b"pm", b"ps", b"pc", b"pcr", b"aniso", b"anisor"}  # fmt: skip


def _mtl(src: str, dst: str, report: _Report, materials: dict[str, str] | None) -> None:
    mats = {k.encode(): v.encode() for k, v in (materials or {}).items()}
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for original in _text_lines(fin):
            if original.lstrip().startswith(b"#"):
                report.add("mtl_comments")
                continue
            line = _split_comment(original, report, "mtl_comments")
            words = line.split()
            keyword = words[0].lower() if words else b""
            if keyword == b"newmtl" and len(words) > 1:
                report.add("material_names")
                name = line.split(None, 1)[1].strip()
                new = _material(mats, name, report, bool(materials))
                fout.write(b"newmtl " + new + _eol(line))
            elif keyword in _MTL_MAPS and len(words) > 1:
                fout.write(_texture_line(line, words, report))
            elif keyword in _MTL_NUMBERS:
                values = [w for w in words[1:4] if _NUMBER.match(w) or w.lower() == b"-halo"]
                report.add("other_text", len(words) > 1 + len(values))
                if values:
                    fout.write(b" ".join([words[0], *values]) + _eol(line))
            elif keyword:
                report.add("other_text")


MESH_FORMATS = ("stl-binary", "stl-ascii", "ply", "obj", "mtl")


def _mesh(
    src: str, fmt: str, dst: str, mtl_name: str | None, materials: dict[str, str] | None
) -> dict:
    report = _Report(fmt)
    try:
        if fmt == "stl-binary":
            _stl_binary(src, dst, report)
        elif fmt == "stl-ascii":
            _stl_ascii(src, dst, report)
        elif fmt == "ply":
            _ply(src, dst, report)
        elif fmt == "obj":
            _obj(src, dst, report, mtl_name, materials)
        else:
            _mtl(src, dst, report, materials)
    except (AnonymizationFailed, OSError):
        raise
    except Exception as exc:
        raise AnonymizationFailed("The mesh could not be anonymized.") from exc
    if fmt != "mtl":
        report.note("geometry_unchanged")
    return report.as_dict()


def _material_names(path: str, keyword: bytes, names: dict[str, str]) -> dict[str, str]:
    with open(path, "rb") as fin:
        for line in _text_lines(fin):
            line = line.split(b"#", 1)[0]
            words = line.split(None, 1)
            if len(words) == 2 and words[0].lower() == keyword:
                name = words[1].strip().decode("utf-8", "surrogateescape")
                names.setdefault(name, f"material{len(names) + 1}")
    return names


def _material_mapping(mtl_path: str, obj_path: str | None) -> dict[str, str]:
    names = _material_names(mtl_path, b"newmtl", {})
    if obj_path:
        _material_names(obj_path, b"usemtl", names)
    return names


def material_mapping(
    mtl_path: str | os.PathLike, obj_path: str | os.PathLike | None = None
) -> dict[str, str]:
    """The mapping ``{original material name: "material1".."materialN"}`` to give as
    ``materials=`` to both the OBJ and its MTL, so ``usemtl`` and ``newmtl`` still match.
    Names in MTL order, then OBJ-only names in OBJ order. Keep it with the practice's data."""
    return _sandboxed(
        _material_mapping, mtl_path, obj_path=None if obj_path is None else os.fspath(obj_path)
    )


def anonymize_mesh(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    *,
    fmt: str,
    mtl_name: str | None = None,
    materials: dict[str, str] | None = None,
) -> dict:
    """Remove names and comments from a mesh, streaming it (files can be gigabytes) (FIL-3).

    ``stl-binary``: the 80-byte header replaced by ``STL_HEADER``, normals and vertices
    byte-identical, attribute bytes zeroed (trailing bytes beyond the triangle count dropped).
    ``stl-ascii``: every line rebuilt from its keyword and numbers, ``solid``/``endsolid`` names
    become ``partN``, lines outside the STL grammar are dropped. ``ply``: rebuilt from the
    allow-list ``_PLY_KEPT`` (vertex and face properties a viewer reads, values unchanged);
    comments, ``obj_info``, other elements and properties and trailing bytes dropped.
    ``obj``: comments dropped, ``o``/``g`` names become ``objectN``/``groupN``, geometry
    statements rebuilt from their numbers and corner references (words after them and
    statements outside the grammar dropped), ``mtllib`` points to ``mtl_name`` (dropped if
    None), ``usemtl`` names mapped through ``materials`` (see :func:`material_mapping`; without
    it, numbered in order of appearance), ``call``/``csh``/``maplib``/``usemap`` dropped.
    ``mtl``: comments and statements other than colours, numbers and texture maps dropped,
    ``newmtl`` names mapped through ``materials``, texture paths cut to their file name."""
    if fmt not in MESH_FORMATS:
        raise ValueError(f"Unknown mesh format {fmt!r}")
    return _sandboxed(_mesh, src, fmt, dst=os.fspath(dst), mtl_name=mtl_name, materials=materials)


# --- Everything else ----------------------------------------------------------------------------

NOT_ANONYMIZABLE = ("pdf", "mp4", "heic", "3mf", "zip", "glb")


def _not_anonymizable(src: str | os.PathLike, dst: str | os.PathLike, fmt: str) -> dict:
    shutil.copyfile(src, dst)  # no parsing: the bytes are not interpreted
    report = _Report(fmt)
    report.hold("not_anonymizable")
    report.note("copied_unchanged")
    return report.as_dict()


FORMATS = ("dicom", "dicom-zip", "jpeg", "png", "tiff", *MESH_FORMATS, *NOT_ANONYMIZABLE)


def anonymize(src: str | os.PathLike, dst: str | os.PathLike, *, fmt: str, **kw: Any) -> dict:
    """Write the anonymized derivative of ``src`` to ``dst`` for the format id ``fmt`` (one of
    ``FORMATS``) and return the report. ``kw``: ``uid_map`` for ``dicom`` (a fresh map if not
    given), ``mtl_name`` and ``materials`` for ``obj``/``mtl``. For ``NOT_ANONYMIZABLE`` formats
    ``dst`` is an unchanged copy and the report is held (``not_anonymizable``)."""
    if fmt == "dicom":
        return anonymize_dicom_file(src, dst, uid_map=kw.pop("uid_map", {}), **kw)
    if fmt == "dicom-zip":
        return anonymize_dicom_zip(src, dst, **kw)
    if fmt in _PHOTO_WORKERS:
        return anonymize_photo(src, dst, fmt=fmt, **kw)
    if fmt in MESH_FORMATS:
        return anonymize_mesh(src, dst, fmt=fmt, **kw)
    if fmt in NOT_ANONYMIZABLE:
        return _not_anonymizable(src, dst, fmt)
    raise ValueError(f"Unknown format {fmt!r}")
