"""Encrypted bytes in the storage of a data region (FIL-2).

A blob is a list of *parts*; each part is one complete age file (``pyrage``) in the region's
storage (Django's storage API: a local folder or an S3-compatible bucket). A resumable upload
writes one part per request, so a part is written exactly once, straight from the request body,
through the encryptor, to storage: nothing is assembled, copied or held whole in memory.

Reading decrypts the parts in order and yields plaintext chunks; age authenticates every 64 KiB
chunk, so a flipped byte on storage stops the read with ``BlobCorrupt`` before the bad chunk is
handed out, and the SHA-256 of the whole file is checked at the end of each full read.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import secrets
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import pyrage
from django.core.files.storage import FileSystemStorage, InvalidStorageError, storages

from dentalbridge.core.errors import DomainError

CHUNK = 1024 * 1024


class BlobCorrupt(Exception):
    """Stored bytes do not decrypt or do not match their checksum."""


class RegionUnavailable(DomainError):
    code = "region_unavailable"
    status = 503


def region_storage(region: str):
    try:
        return storages[f"files-{region}"]
    except InvalidStorageError:
        raise RegionUnavailable(
            "No storage is configured for your organization's data region; the operator must "
            "add it to FILE_REGIONS before files can be stored.",
        ) from None


def part_name(organization_id, owner_id, index: int) -> str:
    """Unguessable, content-free names: nothing about the patient or the file is in them."""
    return f"{organization_id}/{owner_id}/{index:05d}-{secrets.token_hex(6)}.age"


class Sink:
    """The plaintext's SHA-256 and length, and optionally a tus checksum, computed as the bytes
    pass from ``source`` to the encryptor.

    pyrage pulls 8 KiB at a time; each pull reaching down to the request stream would cross into
    the web server (and release the interpreter lock) 128 times per MiB. So the source is read in
    1 MiB blocks, hashed once per block, and handed out in whatever slices pyrage asks for."""

    BLOCK = 1024 * 1024

    def __init__(self, source, limit: int | None = None, checksum=None):
        self.source = source
        self.remaining = limit
        self.sha256 = hashlib.sha256()
        self.checksum = checksum
        self.length = 0
        self.buffer = memoryview(b"")

    def _fill(self) -> None:
        size = self.BLOCK
        if self.remaining is not None:
            if self.remaining <= 0:
                return
            size = min(size, self.remaining)
        data = self.source.read(size)
        if not data:
            return
        self.length += len(data)
        if self.remaining is not None:
            self.remaining -= len(data)
        self.sha256.update(data)
        if self.checksum is not None:
            self.checksum.update(data)
        self.buffer = memoryview(data)

    def read(self, size: int = -1) -> bytes:
        if not self.buffer:
            self._fill()
            if not self.buffer:
                return b""
        if size is None or size < 0:
            size = len(self.buffer)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data.tobytes()


@dataclass
class WrittenPart:
    name: str
    length: int
    stored: int
    sha256: str

    def as_json(self, offset: int) -> dict:
        return {
            "name": self.name,
            "offset": offset,
            "length": self.length,
            "stored": self.stored,
            "sha256": self.sha256,
        }


class _Coalesce:
    """Collects pyrage's 8 KiB writes into 1 MiB ones for storages that do work per write
    (django-storages' S3File measures its buffer on every call)."""

    def __init__(self, handle):
        self.handle = handle
        self.pending: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self.pending.append(bytes(data))
        self.size += len(data)
        if self.size >= Sink.BLOCK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.pending:
            self.handle.write(b"".join(self.pending))
            self.pending.clear()
            self.size = 0


def _abort(handle) -> None:
    multipart = getattr(handle, "_multipart", None)
    if multipart is not None:  # django-storages' S3File: drop the unfinished multipart upload
        multipart.abort()
        handle._multipart = None
        handle._is_dirty = False
        handle._raw_bytes_written = 1  # nothing to create on close either


def write_part(storage, name: str, sink: Sink, recipient) -> WrittenPart:
    """Encrypt what ``sink`` yields into a new object ``name``. On any failure (the client went
    away, the disk is full) the object is removed and the error raised: nothing half-written
    stays behind."""
    local = isinstance(storage, FileSystemStorage)
    if local:
        path = storage.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle = open(path, "xb", buffering=Sink.BLOCK)  # noqa: SIM115 (closed below)
    else:
        handle = storage.open(name, "wb")
    try:
        out = handle if local else _Coalesce(handle)
        pyrage.encrypt_io(sink, out, [recipient])
        out.flush()
        stored = handle.tell() if local else None
        handle.close()
    except BaseException:
        try:
            _abort(handle)
            handle.close()
        finally:
            storage.delete(name)
        raise
    if stored is None:
        stored = storage.size(name)
    return WrittenPart(name, sink.length, stored, sink.sha256.hexdigest())


def write_bytes_file(storage, name: str, source, recipient) -> WrittenPart:
    """Encrypt an open plaintext file (a derivative made by the pipeline) into ``name``."""
    return write_part(storage, name, Sink(source), recipient)


def _open_raw(storage, name: str):
    if isinstance(storage, FileSystemStorage):
        return open(storage.path(name), "rb")
    from storages.utils import clean_name

    key = storage._normalize_name(clean_name(name))
    return storage.connection.meta.client.get_object(Bucket=storage.bucket_name, Key=key)["Body"]


class _QueueWriter:
    """Collects pyrage's small writes (8 KiB) into chunks of ``CHUNK`` for the queue: a few
    hundred queue hand-overs per 100 MB instead of thousands."""

    CHUNK = 256 * 1024

    def __init__(self, chunks: queue.Queue, stop: threading.Event):
        self.chunks = chunks
        self.stop = stop
        self.pending = bytearray()

    def write(self, data) -> int:
        if self.stop.is_set():
            raise BrokenPipeError("reader went away")
        self.pending += data
        if len(self.pending) >= self.CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.pending:
            self.chunks.put(bytes(self.pending))
            self.pending.clear()


_DONE = object()


def _decrypt_part(storage, name: str, identity) -> Generator[bytes]:
    """pyrage decrypts push-style into a writer; a thread turns that into a pull-style iterator
    with a bounded queue, so at most a few chunks are ever in memory."""
    chunks: queue.Queue = queue.Queue(maxsize=16)
    stop = threading.Event()
    failure: list[BaseException] = []

    def run():
        try:
            with _open_raw(storage, name) as raw:
                writer = _QueueWriter(chunks, stop)
                pyrage.decrypt_io(raw, writer, [identity])
                writer.flush()
        except BaseException as exc:  # handed to the reading side
            failure.append(exc)
        finally:
            chunks.put(_DONE)

    worker = threading.Thread(target=run, daemon=True, name="blob-decrypt")
    worker.start()
    try:
        while (chunk := chunks.get()) is not _DONE:
            yield chunk
    finally:
        stop.set()
        while worker.is_alive():  # unblock a writer waiting on a full queue
            try:
                chunks.get_nowait()
            except queue.Empty:
                worker.join(0.05)
    if failure and not isinstance(failure[0], BrokenPipeError):
        error = failure[0]
        if isinstance(error, FileNotFoundError):
            raise BlobCorrupt(f"part {name} is missing") from error
        raise BlobCorrupt(f"part {name} does not decrypt: {error}") from error


def read_blob(storage, parts: list[dict], identity, *, sha256: str = "") -> Iterator[bytes]:
    """Plaintext of a blob, chunk by chunk. Each part's length and SHA-256 are checked as it
    ends, and the whole file's SHA-256 at the end (``sha256``), so a read either yields the exact
    bytes that were stored or raises ``BlobCorrupt``."""
    # A file of one part has the part's checksum: checking the part checks the file, and the
    # second SHA-256 pass over the same bytes is saved.
    single = len(parts) == 1 and sha256 in ("", parts[0]["sha256"])
    whole = None if single else hashlib.sha256()
    for part in parts:
        digest = hashlib.sha256()
        length = 0
        for chunk in _decrypt_part(storage, part["name"], identity):
            digest.update(chunk)
            if whole is not None:
                whole.update(chunk)
            length += len(chunk)
            yield chunk
        if length != part["length"] or digest.hexdigest() != part["sha256"]:
            raise BlobCorrupt(f"part {part['name']} does not match its checksum")
    if sha256 and whole is not None and whole.hexdigest() != sha256:
        raise BlobCorrupt("the file does not match its checksum")


def read_range(storage, parts: list[dict], identity, start: int, stop: int) -> Iterator[bytes]:
    """Plaintext bytes ``start`` to ``stop`` (exclusive) of a blob, for an HTTP Range request
    (a download resumed, a video sought). Parts wholly before ``start`` are skipped unread (each
    part's plaintext length is known); age has no random access inside a part, so the part that
    holds ``start`` is decrypted from its beginning and its first bytes are dropped. Age still
    authenticates every chunk read; a part read to its end is checked against its SHA-256 too."""
    if not 0 <= start <= stop:
        raise ValueError(f"bad range {start}-{stop}")
    offset = 0  # where the current part begins in the file
    for part in parts:
        begin, end = offset, offset + part["length"]
        offset = end
        if end <= start:
            continue
        if begin >= stop:
            break
        digest = hashlib.sha256()
        position = begin
        with contextlib.closing(_decrypt_part(storage, part["name"], identity)) as chunks:
            for chunk in chunks:
                digest.update(chunk)
                low, high = max(start - position, 0), min(stop - position, len(chunk))
                position += len(chunk)
                if low < high:
                    yield chunk[low:high]
                if stop <= position < end:
                    return  # closing the part's reader stops its decryption thread
        if position != end or digest.hexdigest() != part["sha256"]:
            raise BlobCorrupt(f"part {part['name']} does not match its checksum")


def delete_parts(storage, parts: list[dict]) -> None:
    for part in parts:
        storage.delete(part["name"])
