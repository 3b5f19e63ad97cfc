"""A few lines of tus 1.0 over Django's test client, for protocol tests (the real clients —
tuspy and tus-js-client — are used in the end-to-end tests)."""

import base64
import hashlib
import struct

from django.urls import reverse

TUS = {"Tus-Resumable": "1.0.0"}


def metadata(**values) -> str:
    return ",".join(
        f"{key} {base64.b64encode(str(value).encode()).decode()}" for key, value in values.items()
    )


def create(client, length: int, **meta):
    return client.post(
        reverse("api_uploads"),
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(**meta)},
    )


def patch(client, url: str, offset: int, data: bytes, *, checksum: str | None = None, **headers):
    extra = {**TUS, "Upload-Offset": str(offset), **headers}
    if checksum:
        extra["Upload-Checksum"] = checksum
    return client.generic(
        "PATCH", url, data, content_type="application/offset+octet-stream", headers=extra
    )


def head(client, url: str):
    return client.head(url, headers=TUS)


def delete(client, url: str):
    return client.delete(url, headers=TUS)


def sha256_header(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def cube_stl(header: bytes = b"", size: float = 20.0) -> bytes:
    """A closed, consistently wound cube as binary STL (12 triangles), ``size`` mm wide."""
    s = size
    v = [(0, 0, 0), (s, 0, 0), (s, s, 0), (0, s, 0), (0, 0, s), (s, 0, s), (s, s, s), (0, s, s)]
    faces = [
        (0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4),
        (1, 2, 6), (1, 6, 5), (2, 3, 7), (2, 7, 6), (3, 0, 4), (3, 4, 7),
    ]  # fmt: skip
    body = bytearray(header.ljust(80, b" ")[:80] + struct.pack("<I", len(faces)))
    for a, b, c in faces:
        body += struct.pack("<3f", 0, 0, 0)
        for index in (a, b, c):
            body += struct.pack("<3f", *v[index])
        body += b"\0\0"
    return bytes(body)
