"""An ICC colour profile reduced to what rendering needs (FIL-3, issue 13 finding 4).

Photos keep their colour profile (tooth shade depends on it), but a profile is a small file of
its own: a description, a copyright, device maker and model names, a creator, dates, reserved
bytes and private tags can all carry text. :func:`reduce_profile` rebuilds it from an
allow-list instead: the header fields a colour engine reads (version, device class, colour
spaces, rendering intent, illuminant), the tags that define the colour transform (colorants,
tone curves, white and black point, adaptation, lookup tables), each tag's data cut to the
length its type defines, and a fixed description and copyright (required tags). Everything
else — including every text tag (``desc``, ``cprt``, ``dmnd``, ``dmdd``, ``vued``, ``targ``…)
and private tags — is left out.

Pure bytes in, bytes out; callers run it inside the sandbox (it parses untrusted bytes).
"""

from __future__ import annotations

import struct

DESCRIPTION = "Colour profile"
COPYRIGHT = "No copyright"

# Tags that define the colour transform (ICC.1:2022 §9.2), kept with their data.
RENDERING_TAGS = frozenset(
    sig.encode()
    for sig in (
        "wtpt", "bkpt", "rXYZ", "gXYZ", "bXYZ", "rTRC", "gTRC", "bTRC", "kTRC", "chad",
        "A2B0", "A2B1", "A2B2", "A2B3", "B2A0", "B2A1", "B2A2", "B2A3",
        "D2B0", "D2B1", "D2B2", "D2B3", "B2D0", "B2D1", "B2D2", "B2D3",
        "gamt", "chrm", "lumi", "cicp",
    )
)  # fmt: skip
_PARA_PARAMETERS = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}
_HEADER = 128


class ProfileError(ValueError):
    """The bytes are not an ICC profile this module can reduce."""


def _exact(tag_type: bytes, data: bytes) -> bytes:
    """The tag's data cut to the length its type defines (bytes beyond it could hold text);
    the 4 reserved bytes after the type zeroed. Types with a variable inner layout (lookup
    tables) are kept whole: every byte of them shapes the colours."""
    if len(data) < 8:
        raise ProfileError("tag too short")
    body = data[8:]
    if tag_type == b"XYZ ":  # every XYZ tag kept (white point, colorants...) holds one value
        length = 20
    elif tag_type == b"curv":
        if len(body) < 4:
            raise ProfileError("curv too short")
        length = 12 + 2 * int.from_bytes(body[:4], "big")
    elif tag_type == b"para":
        if len(body) < 4:
            raise ProfileError("para too short")
        function = int.from_bytes(body[:2], "big")
        if function not in _PARA_PARAMETERS:
            raise ProfileError("unknown parametric curve")
        length = 12 + 4 * _PARA_PARAMETERS[function]
    elif tag_type == b"sf32":  # the chromatic adaptation matrix: 3 x 3
        length = 44
    elif tag_type == b"chrm":
        if len(body) < 4:
            raise ProfileError("chrm too short")
        length = 12 + 8 * int.from_bytes(body[:2], "big")
    elif tag_type == b"cicp":
        length = 12
    else:
        length = len(data)
    if length > len(data):
        raise ProfileError("tag shorter than its type says")
    if tag_type == b"para":  # the two bytes after the function type are reserved too
        return tag_type + bytes(4) + data[8:10] + bytes(2) + data[12:length]
    return tag_type + bytes(4) + data[8:length]


def _text_tags(version_major: int) -> dict[bytes, bytes]:
    if version_major >= 4:

        def mluc(text: str) -> bytes:
            encoded = text.encode("utf-16-be")
            return b"mluc" + bytes(4) + struct.pack(">II2s2sII", 1, 12, b"en", b"US",
                                                    len(encoded), 28) + encoded  # fmt: skip

        return {b"desc": mluc(DESCRIPTION), b"cprt": mluc(COPYRIGHT)}
    ascii_description = DESCRIPTION.encode() + b"\0"
    desc = (
        b"desc" + bytes(4) + struct.pack(">I", len(ascii_description)) + ascii_description
        + bytes(4) + bytes(4)  # no Unicode description
        + bytes(2) + bytes(1) + bytes(67)  # no ScriptCode description
    )  # fmt: skip
    return {b"desc": desc, b"cprt": b"text" + bytes(4) + COPYRIGHT.encode() + b"\0"}


def reduce_profile(profile: bytes) -> tuple[bytes, int]:
    """``(reduced profile, number of tags left out)``; raises :class:`ProfileError` if
    ``profile`` is not a readable ICC profile."""
    if len(profile) < _HEADER + 4 or profile[36:40] != b"acsp":
        raise ProfileError("not an ICC profile")
    declared = int.from_bytes(profile[0:4], "big")
    if declared > len(profile) or declared < _HEADER + 4:
        raise ProfileError("profile size")
    profile = profile[:declared]
    count = int.from_bytes(profile[128:132], "big")
    if 132 + 12 * count > len(profile):
        raise ProfileError("tag table")
    kept: list[tuple[bytes, bytes]] = []  # (signature, data), shared data kept shared below
    dropped = 0
    for index in range(count):
        sig, offset, size = struct.unpack_from(">4sII", profile, 132 + 12 * index)
        if sig not in RENDERING_TAGS:
            dropped += 1
            continue
        if offset + size > len(profile) or size < 8:
            raise ProfileError("tag outside the profile")
        data = profile[offset : offset + size]
        kept.append((sig, _exact(data[:4], data)))
    version_major = profile[8]
    kept += list(_text_tags(version_major).items())

    header = bytearray(_HEADER)
    header[8:12] = profile[8:12]  # version
    header[12:24] = profile[12:24]  # device class, colour space, PCS
    header[36:40] = b"acsp"
    header[64:68] = (int.from_bytes(profile[64:68], "big") & 0xFFFF).to_bytes(4, "big")  # intent
    header[68:80] = profile[68:80]  # PCS illuminant
    table = bytearray(struct.pack(">I", len(kept)))
    data_start = _HEADER + 4 + 12 * len(kept)
    body = bytearray()
    placed: dict[bytes, int] = {}
    for sig, data in kept:
        offset = placed.get(data)
        if offset is None:
            offset = placed[data] = data_start + len(body)
            body += data + bytes(-len(data) % 4)
        table += struct.pack(">4sII", sig, offset, len(data))
    out = header + table + body
    out[0:4] = len(out).to_bytes(4, "big")
    return bytes(out), dropped
