"""Decide from its content what an uploaded file is, and refuse what is dangerous (ASVS V5).

Three cheap gates run in the request, one deep check runs in the sandbox:

1. :func:`check_name` — the display name the practice gave the file (no path, no control
   characters, NFC, at most 255 bytes).
2. :func:`check_declared` — at upload creation, before any byte arrives: the declared size and
   the extension (a first guess of the format, for its size limit).
3. :func:`sniff` — on the first bytes: the format id, from content, never from the extension; the
   extension must then agree with the content.
4. :func:`validate` — the whole file, in :func:`~dentalbridge.files.sandbox.run_limited`: ZIPs
   inspected without extraction, images without decoding before the pixel count is known, meshes
   streamed, DICOM read up to the pixels, PDFs scanned for active content.

Every refusal is a :class:`Refused` (HTTP 422) with a stable ``code`` (see ``CODES``).
Decisions worth knowing:

* Names with ``/`` or ``\\`` are refused, not cut to their basename: nothing is silently changed
  (browsers and tus clients send basenames anyway). The name is for display and download only;
  storage keys never derive from it.
* A name without an extension (or with a numeric one, ``IM0001.001``) is accepted only for DICOM,
  whose files usually have none. Other known content without a matching extension is refused
  (``type_mismatch``): a downloaded file must open in the right program.
* ``sniff`` calls a ZIP ``zip``; ``validate`` refines it to ``dicom-zip`` or ``3mf``.
* HEIC is recognised only to be refused (Pillow here has no HEIF decoder).
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
import struct
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass

import filetype
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.errors import DomainError
from dentalbridge.core.text import Text, hidden_character
from dentalbridge.files.sandbox import SandboxError, run_limited

logger = logging.getLogger(__name__)

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

MAX_UPLOAD_BYTES = 5 * GiB
MAX_NAME_BYTES = 255
SNIFF_BYTES = 64 * KiB  # what sniff() wants to see (less is accepted, but may not decide)
VALIDATE_TIMEOUT = 120  # seconds
VALIDATE_MEMORY_MB = 2048

MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_EXPANDED = 8 * GiB
MAX_ZIP_RATIO = 100
# Ratios are judged only above this expanded size: a blank DICOM slice deflates > 500:1.
ZIP_RATIO_FLOOR = 32 * MiB
MAX_ZIP_CENTRAL_DIRECTORY = 16 * MiB
MAX_IMAGE_PIXELS = 100_000_000
MAX_TIFF_PAGES = 64
MAX_TEXT_LINE = 64 * KiB
OBJ_SAMPLE_STATEMENTS = 100_000
MAX_MP4_BOXES = 100_000
MAX_MP4_MOOV = 256 * MiB


class Refused(DomainError):
    """The upload is refused; ``code`` says why, ``message`` says it to the practice."""

    code = "refused"
    status = 422


CODES = frozenset(
    {
        "name_invalid",
        "name_too_long",
        "empty",
        "too_large",
        "unknown_type",
        "unsupported_format",
        "type_mismatch",
        "zip_bomb",
        "zip_too_large",
        "zip_too_many_entries",
        "zip_slip",
        "zip_symlink",
        "zip_nested",
        "zip_encrypted",
        "zip_contents",
        "pixel_flood",
        "polyglot",
        "truncated",
        "malformed",
        "unsafe_reference",
        "dicom_preamble",
        "dicom_modality",
        "pdf_active_content",
        "pdf_encrypted",
        "parser_limit",
    }
)


@dataclass(frozen=True)
class Format:
    media_type: str
    kind: str | None  # None: decided by the content (DICOM modality)
    label: Text  # lazy, for messages


FORMATS: dict[str, Format] = {
    "stl-binary": Format("model/stl", "scan", _("an STL model")),
    "stl-ascii": Format("model/stl", "scan", _("an STL model")),
    "ply": Format("application/x-ply", "scan", _("a PLY model")),
    "obj": Format("model/obj", "scan", _("an OBJ model")),
    "mtl": Format("model/mtl", "scan", _("an OBJ material file")),
    "3mf": Format("model/3mf", "scan", _("a 3MF model")),
    "dicom": Format("application/dicom", None, _("a DICOM file")),
    "dicom-zip": Format("application/zip", None, _("a ZIP of DICOM files")),
    "zip": Format("application/zip", None, _("a ZIP archive")),
    "jpeg": Format("image/jpeg", "photo", _("a JPEG image")),
    "png": Format("image/png", "photo", _("a PNG image")),
    "tiff": Format("image/tiff", "photo", _("a TIFF image")),
    "heic": Format("image/heic", "photo", _("a HEIC image")),
    "pdf": Format("application/pdf", "document", _("a PDF document")),
    "mp4": Format("video/mp4", "video", _("an MP4 video")),
}

# Size limit per format id. ``zip`` is the sniff-time id of a ZIP not yet refined.
LIMITS: dict[str, int] = {
    "stl-binary": 2 * GiB,
    "stl-ascii": 2 * GiB,
    "ply": 2 * GiB,
    "obj": 2 * GiB,
    "mtl": 16 * MiB,
    "3mf": 2 * GiB,
    "dicom": 2 * GiB,
    "dicom-zip": 5 * GiB,
    "zip": 5 * GiB,
    "jpeg": 100 * MiB,
    "png": 100 * MiB,
    "tiff": 100 * MiB,
    "pdf": 200 * MiB,
    "mp4": 2 * GiB,
}

# Lower-case extension (without the dot) → the formats its content may be. "" = no extension.
EXTENSIONS: dict[str, frozenset[str]] = {
    "stl": frozenset({"stl-binary", "stl-ascii"}),
    "ply": frozenset({"ply"}),
    "obj": frozenset({"obj"}),
    "mtl": frozenset({"mtl"}),
    "3mf": frozenset({"3mf"}),
    "dcm": frozenset({"dicom"}),
    "dicom": frozenset({"dicom"}),
    "": frozenset({"dicom"}),
    "zip": frozenset({"dicom-zip"}),
    "jpg": frozenset({"jpeg"}),
    "jpeg": frozenset({"jpeg"}),
    "png": frozenset({"png"}),
    "tif": frozenset({"tiff"}),
    "tiff": frozenset({"tiff"}),
    "pdf": frozenset({"pdf"}),
    "mp4": frozenset({"mp4"}),
    "m4v": frozenset({"mp4"}),
}
UNSUPPORTED_EXTENSIONS = frozenset({"heic", "heif"})

# Declared (client) media types that would be dangerous if anything ever echoed them back.
ACTIVE_MEDIA_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/javascript",
        "application/javascript",
        "application/ecmascript",
        "text/xml",
        "application/xml",
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/vnd.microsoft.portable-executable",
        "application/x-executable",
        "application/x-sh",
        "application/x-shellscript",
        "application/java-archive",
        "application/x-httpd-php",
        "application/hta",
    }
)

# Signatures of executables, archives and documents, refused at the start of places that must
# not hold them (the DICOM preamble, the STL header, data after an image's end).
EXECUTABLE_SIGNATURES = (
    b"MZ",
    b"\x7fELF",
    b"PK\x03\x04",
    b"%PDF",
    b"#!",
    b"<?xml",
    b"<html",
    b"<!doctype",
    b"<script",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
)
JPEG_TRAILER_MAX = 64 * KiB
# Long enough to be searched for anywhere inside metadata without false alarms.
EMBEDDED_SIGNATURES = (
    b"pk\x03\x04",
    b"%pdf-",
    b"\x7felf",
    b"<script",
    b"<html",
    b"rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
)
ARCHIVE_SIGNATURES = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd",
    b"MSCF",
)
ARCHIVE_EXTENSIONS = frozenset(
    {"zip", "7z", "rar", "gz", "tgz", "tar", "bz2", "xz", "zst", "jar", "cab", "iso", "dmg", "3mf"}
)
OS_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})

CBCT_MODALITIES = frozenset({"CT", "CBCT"})
RADIOGRAPH_MODALITIES = frozenset({"DX", "IO", "PX", "CR"})
# Screenshots and reconstructions exported by dental imaging software ("other", secondary
# capture): accepted as radiographs; their copies are held for a look (burned-in text).
CAPTURE_MODALITIES = frozenset({"OT", "SC"})

# The names that make a PDF run or carry something (PDF 32000 §12.6, §7.11.4).
PDF_ACTIVE_NAMES = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia", b"GoToE"}
)

MP4_BRANDS = frozenset(
    {"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "M4V ", "dash"}
)
MP4_CONTAINERS = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"udta"}
)


# --- 1. names -------------------------------------------------------------------------------


def check_name(filename: str) -> str:
    """Return the NFC display name or refuse it (``name_invalid``, ``name_too_long``)."""
    if not isinstance(filename, str) or not filename.strip():
        raise Refused(_("The file has no name."), code="name_invalid")
    name = unicodedata.normalize("NFC", filename)
    if hidden_character(name) is not None:
        raise Refused(
            _("The file name contains control characters; rename the file and try again."),
            code="name_invalid",
        )
    if "/" in name or "\\" in name or name in (".", ".."):
        raise Refused(
            _("The file name must not contain “/” or “\\”; rename the file and try again."),
            code="name_invalid",
        )
    if name != name.strip() or name.startswith(".") or name.endswith("."):
        raise Refused(
            _(
                "The file name must not start with a dot or a space, or end with a dot or a "
                "space; rename the file and try again."
            ),
            code="name_invalid",
        )
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise Refused(
            _("The file name is too long (at most 255 characters); shorten it and try again."),
            code="name_too_long",
        )
    return name


def extension_of(filename: str) -> str:
    """The lower-case extension without the dot; "" when there is none or it is only digits."""
    stem, dot, ext = filename.rpartition(".")
    if not dot or not stem or ext.isdigit():
        return ""
    return ext.lower()


# --- 2. before any byte ---------------------------------------------------------------------


def check_declared(filename: str, size: int, declared_type: str | None = None) -> None:
    """Refuse an upload at creation from its name, declared size and declared media type.

    The extension only selects the size limit here; :func:`sniff` decides the format. The
    declared media type is the client's guess and never trusted; it is refused only when it names
    active content (HTML, SVG, scripts, executables), which nobody uploads by accident.
    """
    name = check_name(filename)
    _check_size(size)
    ext = extension_of(name)
    if ext in UNSUPPORTED_EXTENSIONS:
        raise _heic_refusal()
    formats = EXTENSIONS.get(ext)
    if formats is None:
        raise _unknown_type()
    limit = max(LIMITS[fmt] for fmt in formats)
    if size > limit:
        raise _too_large(limit)
    if declared_type:
        base = declared_type.split(";", 1)[0].strip().lower()
        if base in ACTIVE_MEDIA_TYPES:
            raise Refused(
                _("This kind of file cannot be uploaded here."),
                code="type_mismatch",
            )


def _check_size(size: int) -> None:
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise Refused(_("The upload has no valid size."), code="malformed")
    if size == 0:
        raise Refused(_("The file is empty."), code="empty")
    if size > MAX_UPLOAD_BYTES:
        raise _too_large(MAX_UPLOAD_BYTES)


# --- 3. the first bytes ---------------------------------------------------------------------


def sniff(head: bytes, filename: str, *, size: int) -> str:
    """Return the format id of a file from its first bytes (``head``) and total ``size``.

    Pass at least ``min(SNIFF_BYTES, size)`` bytes: fewer may not decide (an ASCII STL needs to
    show a facet, a DICOM file its ``DICM`` at 128). Refuses unknown content, an extension that
    disagrees with the content (``type_mismatch``) and a size over the format's limit.
    """
    _check_size(size)
    if not head:
        raise Refused(_("The file is empty."), code="empty")
    ext = extension_of(filename)
    fmt = _detect(head, size, ext)
    if fmt == "heic":
        raise _heic_refusal()
    _check_agreement(fmt, ext)
    if size > LIMITS[fmt]:
        raise _too_large(LIMITS[fmt])
    return fmt


_FILETYPE_FORMATS = {
    "jpg": "jpeg",
    "png": "png",
    "tif": "tiff",
    "heic": "heic",
    "pdf": "pdf",
    "mp4": "mp4",
    "m4v": "mp4",
}


def _detect(head: bytes, size: int, ext: str) -> str:
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    # A binary STL has no magic and its header often starts with "solid": the size decides.
    if len(head) >= 84 and 84 + 50 * struct.unpack_from("<I", head, 80)[0] == size:
        return "stl-binary"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    guessed = filetype.guess(head)
    if guessed is not None:
        fmt = _FILETYPE_FORMATS.get(guessed.extension)
        if fmt is None:
            raise _unknown_type()
        return fmt
    if _looks_like_ascii_stl(head):
        return "stl-ascii"
    if re.match(rb"ply\r?\nformat (ascii|binary_little_endian|binary_big_endian) ", head):
        return "ply"
    text = _text_head(head, complete=len(head) >= size)
    if text is not None:
        if _looks_like_mtl(text):
            return "mtl"
        if _looks_like_obj(text):
            return "obj"
    if ext == "stl":
        # Named STL, not ASCII, and the size formula failed: a broken binary STL.
        if size < 84 or len(head) < 84:
            raise _truncated()
        expected = 84 + 50 * struct.unpack_from("<I", head, 80)[0]
        if expected > size:
            raise _truncated()
        raise Refused(
            _("This STL file has data after its last triangle; export it again."),
            code="malformed",
        )
    raise _unknown_type()


def _looks_like_ascii_stl(head: bytes) -> bool:
    start = head.lstrip()[:5].lower()
    return (
        start == b"solid" and re.search(rb"facet\s+normal", head[:SNIFF_BYTES].lower()) is not None
    )


def _text_head(head: bytes, *, complete: bool) -> str | None:
    if b"\x00" in head:
        return None
    head = head.removeprefix(b"\xef\xbb\xbf")
    # The head may end in the middle of a multi-byte character.
    for cut in (0, 1, 2, 3) if not complete else (0,):
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


OBJ_KEYWORDS = frozenset({
    "v", "vt", "vn", "vp", "f", "l", "p", "o", "g", "s", "usemtl", "mtllib", "cstype", "deg",
    "bmat", "step", "curv", "curv2", "surf", "parm", "trim", "hole", "scrv", "sp", "end", "con",
    "mg", "bevel", "c_interp", "d_interp", "lod", "maplib", "usemap", "shadow_obj", "trace_obj",
    "ctech", "stech",
})  # fmt: skip
MTL_KEYWORDS = frozenset({
    "newmtl", "ka", "kd", "ks", "ke", "ns", "ni", "d", "tr", "tf", "illum", "bump", "disp",
    "decal", "refl", "norm", "pr", "pm", "ps", "pc", "pcr", "aniso", "anisor", "sharpness",
})  # fmt: skip


def _statements(text: str, limit: int = 200) -> list[str]:
    keywords = []
    for line in text.splitlines()[:-1] or text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keywords.append(stripped.split(None, 1)[0])
            if len(keywords) >= limit:
                break
    return keywords


def _looks_like_obj(text: str) -> bool:
    keywords = _statements(text)
    return "v" in keywords and all(k in OBJ_KEYWORDS for k in keywords)


def _looks_like_mtl(text: str) -> bool:
    keywords = _statements(text)
    return bool(keywords) and keywords[0] == "newmtl" and all(_is_mtl_keyword(k) for k in keywords)


def _is_mtl_keyword(keyword: str) -> bool:
    lowered = keyword.lower()
    return lowered in MTL_KEYWORDS or lowered.startswith("map_")


def _check_agreement(fmt: str, ext: str) -> None:
    allowed = EXTENSIONS.get(ext, frozenset())
    if fmt in allowed or (fmt == "zip" and ext in ("zip", "3mf")):
        return
    if ext == "" or ext not in EXTENSIONS:
        message = format_lazy(
            _("This file is {found}; give its name the matching extension and try again."),
            found=FORMATS[fmt].label,
        )
    else:
        message = format_lazy(
            _(
                "This file is {found}, but its name ends in “.{ext}”; rename it or upload the "
                "right file."
            ),
            found=FORMATS[fmt].label,
            ext=ext,
        )
    raise Refused(message, code="type_mismatch")


# --- 4. the whole file, in the sandbox ------------------------------------------------------


def validate(
    path: str,
    filename: str,
    *,
    timeout: float = VALIDATE_TIMEOUT,
    memory_mb: int = VALIDATE_MEMORY_MB,
) -> dict:
    """Deep-check a complete upload in the sandbox and describe it.

    Returns ``{"format", "media_type", "kind", "details"}``. Sniffing runs here first (cheap, no
    child process); the parsers run in :func:`~dentalbridge.files.sandbox.run_limited`, and a
    parser that runs out of time or memory is a refusal (``parser_limit``).
    """
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    fmt = sniff(head, filename, size=size)
    try:
        outcome = run_limited(inspect_in_child, path, fmt, timeout=timeout, memory_mb=memory_mb)
    except SandboxError as error:
        # The detail names no file: names may carry patient data (STYLE.md §9).
        logger.warning("intake: parser stopped (%s): %s", error.reason, error.detail[-2000:])
        messages = {
            "timeout": _("This file took too long to check; it may be damaged."),
            "memory": _("This file needs too much memory to check; it may be damaged."),
        }
        message = messages.get(
            error.reason, _("This file could not be checked; it may be damaged.")
        )
        raise Refused(message, code="parser_limit") from error
    if outcome[0] == "refused":
        _status, code, message = outcome
        raise Refused(message, code=code)
    return _finish(outcome[1], fmt, extension_of(filename), size)


def inspect_in_child(path: str, fmt: str) -> tuple:
    """The sandbox entry point: ``("ok", result)`` or ``("refused", code, message)``.

    Refusals travel as data (the sandbox reports exceptions only as text); messages stay lazy, so
    the parent translates them in the request's language.
    """
    try:
        return ("ok", inspect_content(path, fmt))
    except Refused as refusal:
        return ("refused", refusal.code, refusal.message)
    except MemoryError:
        raise
    except Exception as error:  # a parser choking on bad input: the file is malformed
        logger.info("intake: %s parser failed: %s: %s", fmt, type(error).__name__, error)
        return ("refused", "malformed", _malformed_message(fmt))


def inspect_content(path: str, fmt: str) -> dict:
    """The deep check of ``path`` whose sniffed format is ``fmt``. Untrusted input: call it only
    inside the sandbox (:func:`validate` does). Returns ``{"format", "kind", "details"}``."""
    size = os.path.getsize(path)
    inspector = _INSPECTORS[fmt]
    fmt_out, kind, details = inspector(path, size)
    return {"format": fmt_out, "kind": kind, "details": details}


def _finish(result: dict, sniffed: str, ext: str, size: int) -> dict:
    fmt = result["format"]
    if sniffed == "zip":
        _check_agreement(fmt, ext)
        if size > LIMITS[fmt]:
            raise _too_large(LIMITS[fmt])
    return {
        "format": fmt,
        "media_type": FORMATS[fmt].media_type,
        "kind": result["kind"],
        "details": result["details"],
    }


# --- ZIP ------------------------------------------------------------------------------------


def _inspect_zip(path: str, size: int) -> tuple[str, str, dict]:
    with open(path, "rb") as fh:
        cd_offset, cd_size, entries, cd_end = _read_end_of_central_directory(fh, size)
        if entries > MAX_ZIP_ENTRIES or cd_size > MAX_ZIP_CENTRAL_DIRECTORY:
            raise _zip_too_many_entries()
        if cd_offset + cd_size != cd_end:
            raise Refused(_("This ZIP has data hidden inside it."), code="polyglot")
        with zipfile.ZipFile(fh) as archive:
            infos = archive.infolist()
            if len(infos) != entries:
                raise _malformed("zip")
            if len(infos) > MAX_ZIP_ENTRIES:
                raise _zip_too_many_entries()
            _check_zip_entries(infos)
            _check_zip_layout(fh, infos, cd_offset)
            files = [info for info in infos if not info.is_dir()]
            heads = {info.orig_filename: _member_head(archive, info) for info in files}
            for info in files:
                ext = extension_of(info.orig_filename.rsplit("/", 1)[-1])
                if ext in ARCHIVE_EXTENSIONS or heads[info.orig_filename].startswith(
                    ARCHIVE_SIGNATURES
                ):
                    raise Refused(
                        _("This ZIP contains another archive; upload the files unpacked."),
                        code="zip_nested",
                    )
            if any(info.orig_filename == "3D/3dmodel.model" for info in files):
                return _inspect_3mf(archive, files, heads)
            return _inspect_dicom_zip(archive, files, heads)


def _read_end_of_central_directory(fh, size: int) -> tuple[int, int, int, int]:
    """(central directory offset, its size, entry count, where it ends) — read by us, before
    ``zipfile`` builds a list of every entry."""
    tail_size = min(size, 22 + 65535)
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise _malformed("zip")
    (_sig, disk, cd_disk, _n_disk, entries, cd_size, cd_offset, comment_len) = struct.unpack_from(
        "<4s4H2LH", tail, pos
    )
    eocd_start = size - tail_size + pos
    if eocd_start + 22 + comment_len != size:
        raise Refused(_("This ZIP has extra data appended to it."), code="polyglot")
    if disk or cd_disk:
        raise _malformed("zip")
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        if eocd_start < 20:
            raise _malformed("zip")
        fh.seek(eocd_start - 20)
        locator = fh.read(20)
        sig, _disk, zip64_offset, _disks = struct.unpack("<4sLQL", locator)
        if sig != b"PK\x06\x07" or zip64_offset + 56 > eocd_start - 20:
            raise _malformed("zip")
        fh.seek(zip64_offset)
        record = fh.read(56)
        fields = struct.unpack("<4sQ2H2L4Q", record)
        if fields[0] != b"PK\x06\x06":
            raise _malformed("zip")
        entries, cd_size, cd_offset = fields[7], fields[8], fields[9]
        return cd_offset, cd_size, entries, zip64_offset
    return cd_offset, cd_size, entries, eocd_start


def _check_zip_entries(infos: list[zipfile.ZipInfo]) -> None:
    total = compressed = 0
    seen: set[str] = set()
    for info in infos:
        name = info.orig_filename
        if not _safe_member_name(name):
            raise Refused(
                _("This ZIP contains unsafe file paths (such as “..” or absolute paths)."),
                code="zip_slip",
            )
        folded = name.casefold()
        if folded in seen:
            raise Refused(_("This ZIP contains the same file name twice."), code="malformed")
        seen.add(folded)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise Refused(_("This ZIP contains symbolic links."), code="zip_symlink")
        if info.flag_bits & 0x41:  # bit 0: encrypted, bit 6: strong encryption
            raise Refused(
                _("This ZIP is password-protected; upload it without a password."),
                code="zip_encrypted",
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(
                _("This ZIP uses a compression method we cannot check; use standard ZIP."),
                code="malformed",
            )
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise _malformed("zip")
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise _zip_bomb()
        total += info.file_size
        compressed += info.compress_size
    if total > MAX_ZIP_EXPANDED:
        raise Refused(
            _("This ZIP expands to more than 8 GB; upload the series uncompressed or split it."),
            code="zip_too_large",
        )
    if total > ZIP_RATIO_FLOOR and total > MAX_ZIP_RATIO * max(compressed, 1):
        raise _zip_bomb()


def _safe_member_name(name: str) -> bool:
    if not name or "\\" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return False
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return False
    return ".." not in name.split("/")


def _check_zip_layout(fh, infos: list[zipfile.ZipInfo], cd_offset: int) -> None:
    """Entries must follow each other without overlap (the overlapping-entry bomb) and without
    gaps (hidden data); each local header must match the central directory, whose sizes we then
    trust as read limits."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    if ordered and ordered[0].header_offset != 0:
        raise Refused(_("This ZIP has data hidden inside it."), code="polyglot")
    for index, info in enumerate(ordered):
        fh.seek(info.header_offset)
        local = fh.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise _malformed("zip")
        name_len, extra_len = struct.unpack_from("<2H", local, 26)
        if fh.read(name_len) != info.orig_filename.encode(
            "utf-8" if info.flag_bits & 0x800 else "cp437"
        ):
            raise _malformed("zip")
        data_end = info.header_offset + 30 + name_len + extra_len + info.compress_size
        next_start = ordered[index + 1].header_offset if index + 1 < len(ordered) else cd_offset
        gap = next_start - data_end
        if gap < 0:
            raise _zip_bomb()
        # A data descriptor (flag bit 3) may follow the data: at most 24 bytes.
        if gap > (24 if info.flag_bits & 0x08 else 0):
            raise Refused(_("This ZIP has data hidden inside it."), code="polyglot")


def _member_head(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = 132) -> bytes:
    # ZipExtFile never returns more than the declared size, and read(n) at most n bytes.
    with archive.open(info) as member:
        return member.read(size)


def _is_os_junk(name: str) -> bool:
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].lower() in OS_JUNK_NAMES


def _inspect_3mf(archive, files, heads) -> tuple[str, str, dict]:
    names = {info.orig_filename for info in files}
    if "[Content_Types].xml" not in names or "_rels/.rels" not in names:
        raise _malformed("3mf")
    info = next(info for info in files if info.orig_filename == "3D/3dmodel.model")
    with archive.open(info) as member:
        model_head = member.read(64 * KiB)
    lowered = model_head.lower()
    # 3MF forbids DTDs; refusing them keeps entity expansion away from any later XML parser.
    if b"<!doctype" in lowered or b"<!entity" in lowered or b"<model" not in lowered:
        raise _malformed("3mf")
    return "3mf", "scan", {"entries": len(files)}


# Exports from CBCT software often carry a readme next to the series; small text files are
# accepted (and left out of the anonymized copy). Viewer programs and anything else are not.
SIDE_TEXT_EXTENSIONS = frozenset({".txt", ".inf", ".ini", ".nfo"})
SIDE_TEXT_MAX = 1 * MiB


def _is_side_text(info: zipfile.ZipInfo) -> bool:
    name = info.orig_filename.rsplit("/", 1)[-1].lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    return extension in SIDE_TEXT_EXTENSIONS and info.file_size <= SIDE_TEXT_MAX


def _inspect_dicom_zip(archive, files, heads) -> tuple[str, str, dict]:
    members = [
        info for info in files if not _is_os_junk(info.orig_filename) and not _is_side_text(info)
    ]
    for info in members:
        head = heads[info.orig_filename]
        if len(head) < 132 or head[128:132] != b"DICM":
            raise Refused(
                _(
                    "This ZIP contains files that are not DICOM images; upload only the DICOM "
                    "series (or a 3MF model)."
                ),
                code="zip_contents",
            )
        _check_preamble(head[:128])
    if not members:
        raise Refused(_("This ZIP contains no DICOM images."), code="zip_contents")
    modalities: dict[str, int] = {}
    for info in members:
        with archive.open(info) as member:
            dataset = _read_dicom(member)
        modality = str(dataset.get("Modality", "") or "").upper()
        if modality:
            modalities[modality] = modalities.get(modality, 0) + 1
    kind = _dicom_kind_of(modalities)
    return (
        "dicom-zip",
        kind,
        {"files": len(members), "ignored": len(files) - len(members), "modalities": modalities},
    )


def _dicom_kind_of(modalities: dict[str, int]) -> str:
    if CBCT_MODALITIES & modalities.keys():
        return "cbct"
    if (RADIOGRAPH_MODALITIES | CAPTURE_MODALITIES) & modalities.keys():
        return "radiograph"
    raise Refused(
        _("These DICOM images are not CT, CBCT or dental X-ray images."), code="dicom_modality"
    )


# --- DICOM ----------------------------------------------------------------------------------


def _check_preamble(preamble: bytes) -> None:
    """CVE-2019-11687: the 128-byte preamble can make a DICOM file a valid executable too."""
    if not preamble.strip(b"\x00"):
        return
    lowered = preamble.lower()
    if lowered.startswith(tuple(s.lower() for s in EXECUTABLE_SIGNATURES)) or any(
        s in lowered for s in EMBEDDED_SIGNATURES
    ):
        raise Refused(
            _(
                "This DICOM file carries a program or archive in its header; export it again "
                "from the imaging software."
            ),
            code="dicom_preamble",
        )


def _read_dicom(source):
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(source, stop_before_pixels=True, defer_size="1 MB")


def _inspect_dicom(path: str, size: int) -> tuple[str, str, dict]:
    with open(path, "rb") as fh:
        _check_preamble(fh.read(128))
    dataset = _read_dicom(path)
    modality = str(dataset.get("Modality", "") or "").upper()
    kind = _dicom_kind_of({modality: 1} if modality else {})
    details = {
        "modality": modality,
        "rows": int(dataset.get("Rows", 0) or 0),
        "columns": int(dataset.get("Columns", 0) or 0),
        "frames": int(dataset.get("NumberOfFrames", 1) or 1),
    }
    return "dicom", kind, details


# --- images ---------------------------------------------------------------------------------

_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "tiff": "TIFF"}


def _inspect_image(path: str, size: int, fmt: str) -> tuple[str, str, dict]:
    if fmt == "jpeg":
        with open(path, "rb") as fh:
            _walk_jpeg(fh.read())
    elif fmt == "png":
        _walk_png(path, size)
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    formats = [_PIL_FORMATS[fmt]]  # never let Pillow try other plugins (EPS runs Ghostscript)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=formats) as image:
                width, height = image.size
                mode = image.mode
                pages = getattr(image, "n_frames", 1)
                if pages > MAX_TIFF_PAGES:
                    raise _malformed(fmt)
                for page in range(pages):
                    image.seek(page)
                    if image.size[0] * image.size[1] > MAX_IMAGE_PIXELS:
                        raise _pixel_flood()
                image.verify()
            with Image.open(path, formats=formats) as image:
                if fmt == "jpeg":  # decode at 1/8 scale: every byte is read, little memory used
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _pixel_flood() from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise _malformed(fmt) from None
    return fmt, "photo", {"width": width, "height": height, "mode": mode, "pages": pages}


def _walk_jpeg(data: bytes) -> None:
    """Walk the markers to the end of the image; after it only further JPEG images (MPF
    previews, Ultra HDR gain maps) and padding may follow. Metadata must not hold archives."""
    pos = _jpeg_end(data, 0)
    for _image in range(8):
        if data[pos : pos + 2] != b"\xff\xd8":
            break
        pos = _jpeg_end(data, pos)
    trailer = data[pos:].strip(b"\x00\xff")
    # Some cameras and phones append their own records after the image (Samsung's "SEFT"
    # trailer): tolerated when small and free of anything executable or archived — the
    # anonymized copy drops it. An appended archive, video or document is a polyglot.
    if trailer and (
        len(trailer) > JPEG_TRAILER_MAX
        or any(s in trailer.lower() for s in (*EMBEDDED_SIGNATURES, b"ftyp", b"pk\x05\x06"))
    ):
        raise _polyglot()


def _jpeg_end(data: bytes, pos: int) -> int:
    if data[pos : pos + 2] != b"\xff\xd8":
        raise _malformed("jpeg")
    pos += 2
    while True:
        if pos >= len(data):
            raise _truncated()
        if data[pos] != 0xFF:
            raise _malformed("jpeg")
        while pos < len(data) and data[pos] == 0xFF:
            pos += 1
        if pos >= len(data):
            raise _truncated()
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return pos
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        if pos + 2 > len(data):
            raise _truncated()
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > len(data):
            raise _truncated()
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            _check_metadata(data[pos + 2 : pos + length])
        pos += length
        if marker == 0xDA:  # entropy-coded data up to the next marker that is not a restart
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= len(data):
                    raise _truncated()
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos += 2
                    continue
                break


def _walk_png(path: str, size: int) -> None:
    with open(path, "rb") as fh:
        if fh.read(8) != b"\x89PNG\r\n\x1a\n":
            raise _malformed("png")
        first = True
        while True:
            header = fh.read(8)
            if len(header) < 8:
                raise _truncated()
            length, kind = struct.unpack(">I4s", header)
            if first and kind != b"IHDR":
                raise _malformed("png")
            first = False
            if length > 2**31 - 1 or fh.tell() + length + 4 > size:
                raise _truncated()
            if kind in (b"IDAT", b"fdAT"):
                fh.seek(length + 4, os.SEEK_CUR)
            else:
                _check_metadata(fh.read(length))
                fh.seek(4, os.SEEK_CUR)
            if kind == b"IEND":
                break
        if fh.tell() != size:
            raise _polyglot()


def _check_metadata(payload: bytes) -> None:
    lowered = payload.lower()
    if any(signature in lowered for signature in EMBEDDED_SIGNATURES):
        raise _polyglot()


# --- meshes ---------------------------------------------------------------------------------


def _inspect_stl_binary(path: str, size: int) -> tuple[str, str, dict]:
    import numpy as np

    with open(path, "rb") as fh:
        header = fh.read(80)
        (count,) = struct.unpack("<I", fh.read(4))
        if header.lower().startswith(tuple(s.lower() for s in EXECUTABLE_SIGNATURES)) or any(
            s in header.lower() for s in EMBEDDED_SIGNATURES
        ):
            raise _polyglot()
        if count == 0:
            raise Refused(_("This STL file contains no triangles."), code="malformed")
        record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
        low = np.full(3, np.inf)
        high = np.full(3, -np.inf)
        remaining = count
        while remaining:
            chunk = np.fromfile(fh, dtype=record, count=min(remaining, 1_000_000))
            if len(chunk) == 0:
                raise _truncated()
            vertices = chunk["vertices"].reshape(-1, 3)
            if not np.isfinite(vertices).all():
                raise Refused(_("This STL file has invalid coordinates."), code="malformed")
            low = np.minimum(low, vertices.min(axis=0))
            high = np.maximum(high, vertices.max(axis=0))
            remaining -= len(chunk)
    extent = [round(float(v), 3) for v in high - low]
    return "stl-binary", "scan", {"triangles": count, "extent": extent}


def _text_lines(fh, fmt: str):
    """Lines of a text file as str, refusing binary content and overlong lines."""
    while True:
        raw = fh.readline(MAX_TEXT_LINE + 1)
        if not raw:
            return
        if len(raw) > MAX_TEXT_LINE or b"\x00" in raw:
            raise _malformed(fmt)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed(fmt) from None


_FLOAT = rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_STL_SOLID = re.compile(rb"\s*solid(?:[ \t][^\r\n]*)?\r?\n", re.IGNORECASE)
_STL_FACET = re.compile(
    rb"\s*facet\s+normal\s+F\s+F\s+F\s+outer\s+loop\s+(?:vertex\s+F\s+F\s+F\s+){3}"
    rb"endloop\s+endfacet(?=\s|\Z)".replace(b"F", _FLOAT),
    re.IGNORECASE,
)
_STL_ENDSOLID = re.compile(rb"\s*endsolid(?:[ \t][^\r\n]*)?(?:\r?\n|\Z)", re.IGNORECASE)
_STL_WINDOW = 4 * KiB  # longer than any sane facet; more without a match is malformed
BLOCK = 16 * MiB


def _inspect_stl_ascii(path: str, size: int) -> tuple[str, str, dict]:
    """Streamed with one regular-expression match per facet (a per-line parser in Python
    manages ~1 MB/s here; this, ~50): ``solid`` (facet)* ``endsolid``, repeated."""
    facets = 0
    in_solid = done = False
    buffer, pos, eof = b"", 0, False
    with open(path, "rb") as fh:
        while True:
            while not eof and len(buffer) - pos < _STL_WINDOW:
                block = fh.read(BLOCK)
                buffer, pos, eof = buffer[pos:] + block, 0, not block
            if in_solid:
                match = _STL_FACET.match(buffer, pos)
                if match:
                    facets += 1
                    pos = match.end()
                    continue
                match = _STL_ENDSOLID.match(buffer, pos)
                if match:
                    in_solid, done, pos = False, True, match.end()
                    continue
                if eof and b"endsolid" not in buffer[pos:].lower():
                    raise _truncated()  # ends inside a solid
                raise _malformed("stl-ascii")
            if eof and not buffer[pos:].strip():
                break
            match = _STL_SOLID.match(buffer, pos)
            if not match:
                raise _malformed("stl-ascii")
            in_solid, pos = True, match.end()
    if not done:
        raise _malformed("stl-ascii")
    if facets == 0:
        raise Refused(_("This STL file contains no triangles."), code="malformed")
    return "stl-ascii", "scan", {"triangles": facets}


def _text_blocks(fh, fmt: str):
    """The rest of a text file in large blocks that end at a line end, checked to be UTF-8
    without NUL bytes; for formats too large to read line by line in Python."""
    carry = b""
    while True:
        block = fh.read(BLOCK)
        if not block:
            break
        data = carry + block
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) > MAX_TEXT_LINE:
            raise _malformed(fmt)
        carry, data = data[cut:], data[:cut]
        yield _checked_text(data, fmt)
    if carry:
        yield _checked_text(carry, fmt)


def _checked_text(data: bytes, fmt: str) -> bytes:
    if b"\x00" in data:
        raise _malformed(fmt)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed(fmt) from None
    return data


def _floats(tokens: list[str], fmt: str) -> list[float]:
    try:
        values = [float(token) for token in tokens]
    except ValueError:
        raise _malformed(fmt) from None
    if not all(math.isfinite(value) for value in values):
        raise _malformed(fmt)
    return values


_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip


def _inspect_ply(path: str, size: int) -> tuple[str, str, dict]:
    with open(path, "rb") as fh:
        block = fh.read(64 * KiB)
        match = re.search(rb"end_header\r?\n", block)
        if match is None:
            raise _malformed("ply")
        try:
            header = block[: match.start()].decode("ascii")
        except UnicodeDecodeError:
            raise _malformed("ply") from None
        encoding, elements = _parse_ply_header(header)
        body = match.end()
        counts = {name: count for name, count, _props in elements}
        if not counts.get("vertex"):
            raise Refused(_("This PLY file contains no vertices."), code="malformed")
        if encoding == "ascii":
            fh.seek(body)
            rows = sum(len(_CONTENT_LINE.findall(block)) for block in _text_blocks(fh, "ply"))
            if rows != sum(counts.values()):
                raise _truncated() if rows < sum(counts.values()) else _malformed("ply")
        else:
            order = "<" if encoding == "binary_little_endian" else ">"
            end = _walk_ply_binary(fh, body, size, elements, order)
            if end != size:
                raise _malformed("ply")
    details = {"vertices": counts.get("vertex", 0), "faces": counts.get("face", 0)}
    return "ply", "scan", details


def _parse_ply_header(header: str):
    lines = header.splitlines()
    if len(lines) < 2 or lines[0].strip() != "ply":
        raise _malformed("ply")
    version = lines[1].split()
    if len(version) != 3 or version[0] != "format" or version[2] != "1.0":
        raise _malformed("ply")
    encoding = version[1]
    elements: list[tuple[str, int, list]] = []
    for line in lines[2:]:
        tokens = line.split()
        if not tokens or tokens[0] in ("comment", "obj_info"):
            continue
        if tokens[0] == "element" and len(tokens) == 3 and tokens[2].isdigit():
            count = int(tokens[2])
            if count > 2**31:
                raise _malformed("ply")
            elements.append((tokens[1], count, []))
        elif tokens[0] == "property" and elements:
            if len(tokens) == 3 and tokens[1] in _PLY_TYPES:
                elements[-1][2].append((_PLY_TYPES[tokens[1]], None))
            elif (
                len(tokens) == 5
                and tokens[1] == "list"
                and tokens[2] in _PLY_TYPES
                and tokens[3] in _PLY_TYPES
                and not _PLY_TYPES[tokens[2]].startswith("f")
            ):
                elements[-1][2].append((_PLY_TYPES[tokens[2]], _PLY_TYPES[tokens[3]]))
            else:
                raise _malformed("ply")
        else:
            raise _malformed("ply")
    return encoding, elements


def _walk_ply_binary(fh, offset: int, size: int, elements, order: str) -> int:
    """Where the last element ends, if every declared row fits the file."""
    import numpy as np

    for _name, count, props in elements:
        lists = [i for i, (_t, item) in enumerate(props) if item is not None]
        if not lists:
            offset += count * sum(int(t[1]) for t, _item in props)
        elif len(lists) == 1 and count:
            # Fast path: every row has as many items as the first (triangles, usually).
            index = lists[0]
            before = sum(int(t[1]) for t, _item in props[:index])
            after = sum(int(t[1]) for t, _item in props[index + 1 :])
            count_type, item_type = props[index]
            fh.seek(offset + before)
            raw = fh.read(int(count_type[1]))
            if len(raw) < int(count_type[1]):
                raise _truncated()
            items = int(np.frombuffer(raw, dtype=order + count_type)[0])
            fields: list[tuple] = [("before", f"V{before}")] if before else []
            fields.append(("n", order + count_type))
            if items:
                fields.append(("items", order + item_type, (items,)))
            if after:
                fields.append(("after", f"V{after}"))
            row = np.dtype(fields)
            if offset + count * row.itemsize <= size and _ply_rows_uniform(
                fh, offset, count, row, items
            ):
                offset += count * row.itemsize
            else:
                offset = _walk_ply_rows(fh, offset, size, count, props, order)
        else:
            offset = _walk_ply_rows(fh, offset, size, count, props, order)
        if offset > size:
            raise _truncated()
    return offset


def _ply_rows_uniform(fh, offset: int, count: int, row, items: int) -> bool:
    import numpy as np

    fh.seek(offset)
    remaining = count
    while remaining:
        chunk = np.fromfile(fh, dtype=row, count=min(remaining, 1_000_000))
        if len(chunk) == 0 or not (chunk["n"] == items).all():
            return False
        remaining -= len(chunk)
    return True


def _walk_ply_rows(fh, offset: int, size: int, count: int, props, order: str) -> int:
    for _row in range(count):
        for count_type, item_type in props:
            if item_type is None:
                offset += int(count_type[1])
                continue
            fh.seek(offset)
            raw = fh.read(int(count_type[1]))
            if len(raw) < int(count_type[1]):
                raise _truncated()
            (items,) = struct.unpack(order + _STRUCT_CODES[count_type], raw)
            offset += len(raw) + items * int(item_type[1])
        if offset > size:
            raise _truncated()
    return offset


_STRUCT_CODES = {"i1": "b", "u1": "B", "i2": "h", "u2": "H", "i4": "i", "u4": "I"}
_OBJ_INDEX = re.compile(r"-?\d+(/(-?\d+)?)?(/-?\d+)?")


_CONTENT_LINE = re.compile(rb"^[ \t]*\S", re.MULTILINE)
_OBJ_BAD_LINE = re.compile(rb"^[ \t]*[^A-Za-z_#\s]", re.MULTILINE)
_OBJ_MTLLIB = re.compile(rb"^[ \t]*mtllib[ \t]+([^\r\n]*)", re.MULTILINE)


def _inspect_obj(path: str, size: int) -> tuple[str, str, dict]:
    """The first ``OBJ_SAMPLE_STATEMENTS`` statements are parsed; the rest is checked in blocks
    (text, statements start with a keyword, material references stay local) and counted."""
    vertices = faces = statements = 0
    with open(path, "rb") as fh:
        for line in _text_lines(fh, "obj"):
            tokens = line.split()
            if not tokens or tokens[0].startswith("#"):
                continue
            keyword = tokens[0]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", keyword):
                raise _malformed("obj")
            statements += 1
            if keyword == "v":
                vertices += 1
            elif keyword == "f":
                faces += 1
            elif keyword == "mtllib":
                _check_references(tokens[1:])
            if (keyword == "v" and 3 <= len(tokens) - 1 <= 7) or (
                keyword in ("vn", "vt") and 1 <= len(tokens) - 1 <= 3
            ):
                _floats(tokens[1:], "obj")
            elif keyword in ("f", "l", "p"):
                _check_obj_indices(tokens[1:], vertices, 3 if keyword == "f" else 1)
            elif keyword in ("v", "vn", "vt") or keyword not in OBJ_KEYWORDS:
                raise _malformed("obj")
            if statements >= OBJ_SAMPLE_STATEMENTS:
                break
        for block in _text_blocks(fh, "obj"):
            if _OBJ_BAD_LINE.search(block):
                raise _malformed("obj")
            for match in _OBJ_MTLLIB.finditer(block):
                _check_references(match.group(1).decode("utf-8").split())
            lines = b"\n" + block
            vertices += lines.count(b"\nv ") + lines.count(b"\nv\t")
            faces += lines.count(b"\nf ") + lines.count(b"\nf\t")
    if vertices == 0:
        raise Refused(_("This OBJ file contains no vertices."), code="malformed")
    return "obj", "scan", {"vertices": vertices, "faces": faces}


def _check_obj_indices(tokens: list[str], vertices: int, minimum: int) -> None:
    if len(tokens) < minimum:
        raise _malformed("obj")
    for token in tokens:
        if not _OBJ_INDEX.fullmatch(token):
            raise _malformed("obj")
        index = int(token.split("/", 1)[0])
        if index == 0 or abs(index) > vertices:
            raise _malformed("obj")


def _check_references(tokens: list[str]) -> None:
    """Material and texture references must name files next to the model, nothing else: a
    loader resolves them against the model's directory."""
    for token in tokens:
        if "/" in token or "\\" in token or ".." in token or re.match(r"[A-Za-z]:", token):
            raise Refused(
                _("This model refers to files outside its own folder."), code="unsafe_reference"
            )


def _inspect_mtl(path: str, size: int) -> tuple[str, str, dict]:
    materials = 0
    with open(path, "rb") as fh:
        for line in _text_lines(fh, "mtl"):
            tokens = line.split()
            if not tokens or tokens[0].startswith("#"):
                continue
            if not _is_mtl_keyword(tokens[0]):
                raise _malformed("mtl")
            if tokens[0] == "newmtl":
                materials += 1
            elif tokens[0].lower().startswith("map_") or tokens[0].lower() in (
                "bump",
                "disp",
                "decal",
                "refl",
                "norm",
            ):
                _check_references(tokens[1:])
    if materials == 0:
        raise _malformed("mtl")
    return "mtl", "scan", {"materials": materials}


# --- PDF, MP4 -------------------------------------------------------------------------------

_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\](){}%]+)")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")


def _inspect_pdf(path: str, size: int) -> tuple[str, str, dict]:
    with open(path, "rb") as fh:
        data = fh.read()  # at most LIMITS["pdf"]
    version = re.match(rb"%PDF-(\d\.\d)", data)
    if version is None:
        raise _malformed("pdf")
    if b"%%EOF" not in data[-1024:]:
        raise _truncated()
    names = _pdf_names(data)
    if b"Encrypt" in names:
        raise Refused(
            _("This PDF is password-protected or encrypted; upload an unprotected copy."),
            code="pdf_encrypted",
        )
    # Objects can hide inside compressed object streams (PDF 1.5+): look there too.
    for match in re.finditer(rb"/Type\s*/ObjStm", data):
        start = data.find(b"stream", match.end())
        if start < 0:
            raise _malformed("pdf")
        start += len(b"stream")
        start += 2 if data[start : start + 2] == b"\r\n" else 1
        end = data.find(b"endstream", start)
        if end < 0:
            raise _truncated()
        try:
            expanded = zlib.decompressobj().decompress(data[start:end], 64 * MiB)
        except zlib.error:
            raise _malformed("pdf") from None
        names |= _pdf_names(expanded)
    if names & PDF_ACTIVE_NAMES:
        raise Refused(
            _(
                "This PDF contains scripts, launch actions or attached files; print it to a new "
                "PDF and upload that."
            ),
            code="pdf_active_content",
        )
    return "pdf", "document", {"version": version.group(1).decode()}


def _pdf_names(data: bytes) -> set[bytes]:
    return {
        _PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), raw) for raw in _PDF_NAME.findall(data)
    }


def _inspect_mp4(path: str, size: int) -> tuple[str, str, dict]:
    details: dict = {}
    with open(path, "rb") as fh:
        boxes = list(_mp4_boxes(fh, 0, size, size))
        if not boxes or boxes[0][0] != b"ftyp":
            raise _malformed("mp4")
        _kind, start, length = boxes[0]
        fh.seek(start)
        ftyp = fh.read(length)
        brands = {ftyp[i : i + 4].decode("latin-1") for i in range(0, len(ftyp), 4) if i != 4}
        if not brands & MP4_BRANDS:
            raise _malformed("mp4")
        details["brand"] = ftyp[:4].decode("latin-1")
        moov = [box for box in boxes if box[0] == b"moov"]
        if len(moov) != 1 or moov[0][2] > MAX_MP4_MOOV:
            raise _malformed("mp4")
        fh.seek(moov[0][1])
        movie = moov[0][2]
        content = fh.read(movie)
    found = _walk_mp4_tree(content, details)
    if b"mvhd" not in found or b"trak" not in found:
        raise _malformed("mp4")
    return "mp4", "video", details


def _mp4_boxes(fh, start: int, end: int, size: int):
    """(type, payload start, payload length) of the top-level boxes, each within the file."""
    pos = start
    count = 0
    while pos < end:
        count += 1
        if count > MAX_MP4_BOXES or end - pos < 8:
            raise _malformed("mp4")
        fh.seek(pos)
        length, kind = struct.unpack(">I4s", fh.read(8))
        header = 8
        if length == 1:
            raw = fh.read(8)
            if len(raw) < 8:
                raise _truncated()
            (length,) = struct.unpack(">Q", raw)
            header = 16
        elif length == 0:
            length = end - pos
        if not all(32 <= b < 127 for b in kind) or length < header:
            raise _malformed("mp4")
        if pos + length > end:
            raise _truncated()
        yield kind, pos + header, length - header
        pos += length


def _walk_mp4_tree(data: bytes, details: dict, depth: int = 0) -> set[bytes]:
    found: set[bytes] = set()
    pos = 0
    while pos < len(data):
        if len(data) - pos < 8 or depth > 8:
            raise _malformed("mp4")
        length, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if length == 1:
            if len(data) - pos < 16:
                raise _malformed("mp4")
            (length,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif length == 0:
            length = len(data) - pos
        if length < header or pos + length > len(data):
            raise _truncated()
        found.add(kind)
        payload = data[pos + header : pos + length]
        if kind in MP4_CONTAINERS:
            found |= _walk_mp4_tree(payload, details, depth + 1)
        elif kind == b"mvhd" and len(payload) >= 20:
            if payload[0] == 1 and len(payload) >= 32:
                timescale, duration = struct.unpack_from(">IQ", payload, 20)
            else:
                timescale, duration = struct.unpack_from(">II", payload, 12)
            if timescale:
                details["duration_s"] = round(duration / timescale, 3)
        pos += length
    return found


_INSPECTORS = {
    "stl-binary": _inspect_stl_binary,
    "stl-ascii": _inspect_stl_ascii,
    "ply": _inspect_ply,
    "obj": _inspect_obj,
    "mtl": _inspect_mtl,
    "zip": _inspect_zip,
    "dicom": _inspect_dicom,
    "jpeg": lambda path, size: _inspect_image(path, size, "jpeg"),
    "png": lambda path, size: _inspect_image(path, size, "png"),
    "tiff": lambda path, size: _inspect_image(path, size, "tiff"),
    "pdf": _inspect_pdf,
    "mp4": _inspect_mp4,
}


# --- refusals used in several places --------------------------------------------------------


def _human(limit: int) -> str:
    return f"{limit // GiB} GB" if limit >= GiB else f"{limit // MiB} MB"


def _too_large(limit: int) -> Refused:
    return Refused(
        format_lazy(_("This file is larger than the {limit} allowed for it."), limit=_human(limit)),
        code="too_large",
    )


def _unknown_type() -> Refused:
    return Refused(
        _(
            "This kind of file is not accepted. Upload scans (STL, PLY, OBJ, 3MF), DICOM (a file "
            "or a ZIP of the series), photos (JPEG, PNG, TIFF), PDF documents or MP4 videos."
        ),
        code="unknown_type",
    )


def _heic_refusal() -> Refused:
    return Refused(
        _("HEIC photos cannot be processed yet; export the photo as JPEG and upload that."),
        code="unsupported_format",
    )


def _malformed_message(fmt: str):
    return format_lazy(
        _("This file looks like {found} but is damaged or malformed; export it again."),
        found=FORMATS[fmt].label,
    )


def _malformed(fmt: str) -> Refused:
    return Refused(_malformed_message(fmt), code="malformed")


def _truncated() -> Refused:
    return Refused(
        _("This file is incomplete (it ends too early); upload it again."), code="truncated"
    )


def _polyglot() -> Refused:
    return Refused(
        _(
            "This file has another file hidden inside or appended to it; export it again as a "
            "plain file."
        ),
        code="polyglot",
    )


def _pixel_flood() -> Refused:
    return Refused(
        _("This image has too many pixels (more than 100 megapixels); reduce its size."),
        code="pixel_flood",
    )


def _zip_bomb() -> Refused:
    return Refused(
        _("This ZIP expands far more than real scans do; it looks like a ZIP bomb."),
        code="zip_bomb",
    )


def _zip_too_many_entries() -> Refused:
    return Refused(
        _("This ZIP contains more than 10,000 files; split the series into several uploads."),
        code="zip_too_many_entries",
    )
