"""Intake after upload (FIL-1…FIL-5): verify, validate, anonymize, check, preview.

Each step is idempotent and records its progress on the asset, so a worker killed mid-way leaves
an asset that the next run (a retry, or the scheduled sweep of stalled assets) finishes: steps
whose result exists are skipped, and derivative blobs have fixed names that a retry overwrites.
Plaintext exists only in a private temporary folder for the duration of the run.

* verify — decrypt the upload and compute its SHA-256; compare with the client's.
* validate — what the file is, by content, in a sandbox (``intake.validate``).

A file that reaches the pipeline was acknowledged by the upload protocol, so a refusal never
deletes it (issue 13, finding 2): it is kept "stored — not checked" (``AssetStatus.UNCHECKED``)
with the reason shown to the practice. If our analysis could not cope (``OUR_LIMITS``, or a
sandboxed parser out of time or memory, or crashing), the copy for outside eyes is held until a
dentist confirms it (the anonymized copy if one could be made, else the file as uploaded); if a
check proved the file bad (a zip bomb, a path out of its folder, a disguised program, bytes that
differ from those sent), nothing made from it is kept and it never leaves the practice.
* anonymize — the copy everyone outside the practice receives (``anonymize.anonymize``); files
  that may show identity in their pixels are held until the practice confirms.
* check / preview — for scans: the scan report, a compact web preview and a thumbnail; for photos,
  a thumbnail.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.errors import DomainError
from dentalbridge.files import access, anonymize, blobs, formats, intake, keys, mesh, previews
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.files.sandbox import SandboxError, while_waiting
from dentalbridge.privacy.audit import AuditAction, AuditOutcome, record
from dentalbridge.privacy.principal import Purpose, SystemActor

log = logging.getLogger(__name__)

# Our format ids → the mesh module's (3MF packages are stored and shared, not yet checked).
MESH_FORMATS = {"stl-binary": "stl", "stl-ascii": "stl", "ply": "ply", "obj": "obj"}


def start(asset_pk: int, *, expected_sha256: str = "") -> None:
    process_asset.enqueue(asset_pk, expected_sha256)


@task(queue_name="files")
def process_asset(asset_pk: int, expected_sha256: str = "") -> dict:
    asset = access.asset_for_pipeline(SystemActor(Purpose.INTAKE), asset_pk)
    if asset is None or asset.status != AssetStatus.PROCESSING:
        return {"skipped": True}
    lease = Lease(asset)
    if not lease.take():
        return {"skipped": True, "why": "another run holds the file"}
    try:
        with while_waiting(lease.renew, every=lease.seconds / 4):
            return Intake(asset, expected_sha256, lease=lease).run()
    except LeaseLost:
        log.warning("intake of asset %s lost its lease to another run", asset.public_id)
        return {"skipped": True, "why": "lease lost"}
    finally:
        lease.end()


class LeaseLost(Exception):
    """Another run took the file over (this one was silent for longer than the lease)."""


class Lease:
    """The intake's hold on a file: one run at a time, and a run whose worker died is replaced
    once its lease runs out (``FILES_INTAKE_LEASE_SECONDS``; ``files.tasks`` sweeps). Renewed
    between steps, while a sandboxed check runs (``sandbox.while_waiting``) and while long
    copies stream; renewals closer together than a quarter of the lease are skipped."""

    def __init__(self, asset: Asset):
        self.asset = asset
        self.owner = uuid.uuid4().hex
        self.seconds = settings.FILES_INTAKE_LEASE_SECONDS
        self.renewed = -math.inf

    def _extend(self) -> bool:
        until = timezone.now() + timedelta(seconds=self.seconds)
        if not access.asset_lease(self.asset, self.owner, until):
            return False
        self.renewed = time.monotonic()
        return True

    def take(self) -> bool:
        return self._extend()

    def renew(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self.renewed < self.seconds / 4:
            return
        if not self._extend():
            raise LeaseLost()

    def end(self) -> None:
        access.asset_lease_end(self.asset, self.owner)


class NoLease:
    """For a run outside the task (tests, the synchronous check): holds nothing."""

    seconds = math.inf

    def renew(self, *, force: bool = False) -> None:
        pass


WORK = "work"
LOCK = ".in-use"


@contextmanager
def workdir():
    """A private folder for plaintext, removed when the block ends however it ends. While in use
    it holds a locked file (``flock``, released by the kernel when the process dies, even by
    SIGKILL), so :func:`sweep_work` can tell a dead run's folder from a live one's."""
    base = Path(settings.DATA_DIR) / WORK
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = Path(tempfile.mkdtemp(dir=base, prefix="intake-"))
    lock = os.open(path / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(lock)


# A folder without its lock file is one being created this moment (or a broken one): left alone
# for this long.
UNLOCKED_GRACE = timedelta(minutes=1)


def sweep_work() -> int:
    """Remove the working folders of runs whose process died (its lock is free): they hold
    decrypted plaintext. Runs at every worker's start and beat (``core.workers``) and in
    ``files.tasks.resume_stalled_assets``; returns how many were removed."""
    base = Path(settings.DATA_DIR) / WORK
    if not base.exists():
        return 0
    removed = 0
    for folder in base.glob("intake-*"):
        try:
            lock = os.open(folder / LOCK, os.O_RDWR)
        except FileNotFoundError:
            try:
                young = time.time() - folder.stat().st_mtime < UNLOCKED_GRACE.total_seconds()
            except FileNotFoundError:
                continue  # removed meanwhile
            if not young:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
            continue
        except NotADirectoryError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # in use by a live run
        else:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        finally:
            os.close(lock)
    if removed:
        log.warning("removed %d working folder(s) a stopped run left behind", removed)
    return removed


def decrypt_to(asset: Asset, path: Path, lease: Lease | NoLease | None = None) -> str:
    """Write the asset's plaintext to ``path``; returns its SHA-256 (verified if known)."""
    import hashlib

    storage = blobs.region_storage(asset.region)
    identity = keys.identity_of(asset.patient_key)
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for chunk in blobs.read_blob(storage, asset.parts, identity, sha256=asset.sha256):
            digest.update(chunk)
            out.write(chunk)
            if lease is not None:
                lease.renew()
    return digest.hexdigest()


def check_upload(upload, parts: list[dict]) -> dict:
    """The deep check of a just-completed upload, while the client waits for the answer to its
    last PATCH: decrypt, compare the SHA-256 with the client's, validate. Returns what intake
    found (with ``sha256``); raises ``intake.Refused``."""
    import hashlib

    storage = blobs.region_storage(upload.region)
    identity = keys.identity_of(upload.patient_key)
    with workdir() as work:
        plain = work / "upload"
        digest = hashlib.sha256()
        with open(plain, "wb") as out:
            for chunk in blobs.read_blob(storage, parts, identity):
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        if upload.sha256_expected and sha256 != upload.sha256_expected:
            raise intake.Refused(CHECKSUM_MESSAGE, code="checksum_mismatch")
        info = intake.validate(str(plain), upload.filename)
    return {**info, "sha256": sha256}


# Refusals that say our analysis could not cope, not that the file is bad (intake's parser ran out
# of time or memory, or crashed): the file is kept "stored — not checked" and may leave the
# practice once a dentist confirms. Every other code proves something wrong with the file.
OUR_LIMITS = frozenset({"parser_limit"})
NOT_CHECKED = "not_checked"  # the hold reason of a copy made from a file we could not check


def _limit_message(error: SandboxError) -> str:
    if error.reason == "malformed":
        return str(error)
    if error.reason == "timeout":
        return str(_("This file took longer to check than the checker allows."))
    if error.reason == "memory":
        return str(_("This file needs more memory to check than the checker has."))
    return str(_("The checker could not read this file."))


CHECKSUM_MESSAGE = (
    "The file that arrived is not the file that was sent (its SHA-256 differs). Upload it again."
)


def derivative_part_name(source: Asset, role: str) -> str:
    return f"{source.organization.public_id}/{source.public_id}/{role}-00000.age"


def write_file_blob(source: Asset, name: str, path: Path, patient_key) -> blobs.WrittenPart:
    """Encrypt the plaintext file ``path`` into the one-part blob ``name`` in ``source``'s region;
    a blob of that name left by a killed run is replaced, so retries never duplicate."""
    storage = blobs.region_storage(source.region)
    if storage.exists(name):
        storage.delete(name)
    with open(path, "rb") as plain:
        return blobs.write_bytes_file(storage, name, plain, keys.recipient_of(patient_key))


def store_derivative(
    source: Asset, path: Path, *, role: str, fmt: str, filename: str, status=AssetStatus.READY,
    report: dict | None = None,
) -> Asset:  # fmt: skip
    """Encrypt ``path`` as a derivative of ``source`` (replacing one a killed run left)."""
    part = write_file_blob(source, derivative_part_name(source, role), path, source.patient_key)
    derivative = Asset(
        organization=source.organization,
        patient=source.patient,
        item=source.item,
        version=source.version,
        role=role,
        source=source,
        filename=filename,
        format=fmt,
        jaw=source.jaw,
        media_type=formats.media_type_for(fmt),
        size=part.length,
        sha256=part.sha256,  # one part: its SHA-256 is the file's
        parts=[part.as_json(0)],
        region=source.region,
        patient_key=source.patient_key,
        status=status,
        progress=100,
        report=report or {},
    )
    derivative.save(force_insert=True)
    return derivative


def apply_validation(asset: Asset, info: dict) -> None:
    asset.format = info["format"]
    asset.media_type = info.get("media_type") or formats.media_type_for(asset.format)
    asset.report["intake"] = info.get("details", {})
    asset.report["kind"] = info.get("kind", "")
    asset.report["validated"] = True


class Intake:
    def __init__(
        self, asset: Asset, expected_sha256: str = "", lease: Lease | NoLease | None = None
    ):
        self.asset = asset
        self.expected = expected_sha256
        self.lease = lease or NoLease()
        self.existing = {d.role: d for d in access.derivatives_of(asset)}

    def progress(self, step: str, percent: int) -> None:
        self.lease.renew(force=True)
        self.asset.step = step
        self.asset.progress = percent
        self.asset.save(update_fields=["step", "progress", "report", "updated_at"])

    def run(self) -> dict:
        asset = self.asset
        asset.report.setdefault("expected_sha256", self.expected)
        try:
            with workdir() as work:
                plain = work / "original"
                try:
                    self.steps(plain, work)
                except (intake.Refused, DomainError) as refusal:
                    ours = refusal.code in OUR_LIMITS
                    return self.after_refusal(refusal.code, str(refusal.message), ours, plain, work)
                except SandboxError as error:
                    # A parser of ours stopped (time, memory, a crash, a library's exception);
                    # only an anonymizer that proves the file is not what it claims is "malformed".
                    ours = error.reason != "malformed"
                    code = "parser_limit" if ours else "malformed"
                    return self.after_refusal(code, _limit_message(error), ours, plain, work)
        except blobs.BlobCorrupt as error:
            return self.fail("corrupt", str(error))
        except keys.KeyUnavailable as error:
            return self.fail("key_unavailable", str(error))
        self.lease.renew(force=True)  # only the run holding the file says how it ended
        asset.status = AssetStatus.READY
        asset.step = "done"
        asset.progress = 100
        asset.save(
            update_fields=[
                "status", "step", "progress", "format", "media_type", "report", "updated_at"
            ]
        )  # fmt: skip
        return {"asset": str(asset.public_id), "status": asset.status}

    def steps(self, plain: Path, work: Path) -> None:
        asset = self.asset
        self.progress("verify", 5)
        sha256 = decrypt_to(asset, plain, self.lease)
        if self.expected and sha256 != self.expected:
            raise intake.Refused(CHECKSUM_MESSAGE, code="checksum_mismatch")
        asset.sha256 = sha256
        asset.save(update_fields=["sha256", "updated_at"])
        if not asset.report.get("validated"):
            self.progress("validate", 20)
            info = intake.validate(
                str(plain),
                asset.original_name or asset.filename,
                # Operators may raise them for big scans (FILES_VALIDATE_*, in the settings).
                timeout=settings.FILES_VALIDATE_TIMEOUT,
                memory_mb=settings.FILES_VALIDATE_MEMORY_MB,
            )
            apply_validation(asset, info)
        self.progress("anonymize", 40)
        _shared, shared_path = self.anonymize(plain, work)
        if asset.format in MESH_FORMATS:
            self.progress("check", 60)
            asset.report["check"] = mesh.inspect_mesh(
                str(shared_path), fmt=MESH_FORMATS[asset.format]
            )
            self.progress("preview", 80)
            self.mesh_previews(shared_path, work)
        elif asset.format in formats.PHOTOS:
            self.progress("preview", 80)
            self.photo_thumbnail(shared_path, work)

    def anonymize(self, plain: Path, work: Path) -> tuple[Asset, Path]:
        asset = self.asset
        out = work / f"shared{formats.extension_for(asset.format)}"
        report = anonymize.anonymize(str(plain), str(out), fmt=asset.format)
        asset.report["anonymization"] = report
        shared = self.existing.get(AssetRole.SHARED)
        if shared is None:
            status = AssetStatus.HELD if report.get("held") else AssetStatus.READY
            shared = store_derivative(
                asset, out, role=AssetRole.SHARED, fmt=asset.format, filename=asset.filename,
                status=status, report=report,
            )  # fmt: skip
            self.existing[AssetRole.SHARED] = shared
        return shared, out

    def mesh_previews(self, shared_path: Path, work: Path) -> None:
        if AssetRole.PREVIEW in self.existing and AssetRole.THUMBNAIL in self.existing:
            return
        asset = self.asset
        glb, png = work / "preview.glb", work / "thumbnail.png"
        info = mesh.make_preview(
            str(shared_path), str(glb), str(png), fmt=MESH_FORMATS[asset.format]
        )
        asset.report["preview"] = info
        stem = asset.filename.rsplit(".", 1)[0]
        for role, path, fmt, suffix in (
            (AssetRole.PREVIEW, glb, "glb", ".glb"),
            (AssetRole.THUMBNAIL, png, "png", ".png"),
        ):
            if role not in self.existing:
                self.existing[role] = store_derivative(
                    asset, path, role=role, fmt=fmt, filename=f"{stem}-{role}{suffix}"
                )

    def photo_thumbnail(self, shared_path: Path, work: Path) -> None:
        if AssetRole.THUMBNAIL in self.existing:
            return
        asset = self.asset
        png = work / "thumbnail.png"
        previews.photo_thumbnail(str(shared_path), str(png))
        stem = asset.filename.rsplit(".", 1)[0]
        self.existing[AssetRole.THUMBNAIL] = store_derivative(
            asset, png, role=AssetRole.THUMBNAIL, fmt="png", filename=f"{stem}-thumbnail.png"
        )

    def after_refusal(self, code: str, message: str, ours: bool, plain: Path, work: Path) -> dict:
        """A check refused the file, or could not finish (``ours``). An original the upload
        protocol acknowledged is never deleted for it: it is kept, "stored — not checked"."""
        if self.asset.role != AssetRole.ORIGINAL:
            # Our own derivative (a repaired scan): its original stays whatever happens to it.
            return self.refuse(code, message)
        if ours:
            return self.keep_unchecked(code, message, plain, work)
        return self.keep_blocked(code, message)

    def keep_unchecked(self, code: str, message: str, plain: Path, work: Path) -> dict:
        """Our analysis could not cope (too big, too complex, a parser failing): the original stays
        as uploaded, and what anyone outside would receive is held for a dentist's confirmation
        (``services.release_held``), like other held copies. If no anonymized copy could be made,
        the held copy is the file as uploaded, and the practice is told so."""
        asset = self.asset
        step = asset.step
        shared = self.existing.get(AssetRole.SHARED)
        anonymized = shared is not None
        if shared is None and plain.exists() and step == "validate":
            # Not checked, but the (streamed, sandboxed) anonymizer may still manage it.
            try:
                shared, _path = self.anonymize(plain, work)
                anonymized = True
            except SandboxError as error:
                if error.reason == "malformed":
                    return self.keep_blocked("malformed", str(error))
            except ValueError:  # a format the anonymizer does not know: the copy below
                pass
        with transaction.atomic():
            if shared is None and plain.exists():
                report = {"held": True, "hold_reason": NOT_CHECKED, "anonymized": False}
                shared = store_derivative(
                    asset, plain, role=AssetRole.SHARED, fmt=asset.format,
                    filename=asset.filename, status=AssetStatus.HELD, report=report,
                )  # fmt: skip
            elif shared is not None:
                shared.status = AssetStatus.HELD
                shared.report = {**shared.report, "held": True, "hold_reason": NOT_CHECKED}
                shared.report["anonymized"] = anonymized
                shared.save(update_fields=["status", "report", "updated_at"])
            return self._keep(code, message, step=step, shareable=True)

    def keep_blocked(self, code: str, message: str) -> dict:
        """A check proved the file is not what it claims (a zip bomb, a path out of its folder, a
        program disguised as a scan, bytes that differ from those sent): acknowledged, it is kept
        for the practice, but nothing made from it is kept, and it never leaves the practice."""
        asset = self.asset
        step = asset.step
        storage = blobs.region_storage(asset.region)
        with transaction.atomic():
            for derivative in access.derivatives_of(asset):
                blobs.delete_parts(storage, derivative.parts)
                derivative.delete()
            self.existing = {}
            return self._keep(code, message, step=step, shareable=False)

    def _keep(self, code: str, message: str, *, step: str, shareable: bool) -> dict:
        self.lease.renew(force=True)
        asset = self.asset
        asset.status = AssetStatus.UNCHECKED
        asset.step = "done"
        asset.progress = 100
        asset.error_code = code[:40]
        asset.error_message = message[:500]
        asset.report["unchecked"] = {"code": code, "step": step, "shareable": shareable}
        asset.save(
            update_fields=[
                "status", "step", "progress", "error_code", "error_message", "format",
                "media_type", "report", "updated_at",
            ]
        )  # fmt: skip
        return _refused(asset, code, kept="not_checked" if shareable else "never_shared")

    def refuse(self, code: str, message: str) -> dict:
        """A derivative of ours refused on intake: it is deleted, with any derivative of it."""
        self.lease.renew(force=True)
        asset = self.asset
        storage = blobs.region_storage(asset.region)
        with transaction.atomic():
            for derivative in access.derivatives_of(asset):
                blobs.delete_parts(storage, derivative.parts)
                derivative.delete()
            blobs.delete_parts(storage, asset.parts)
            asset.parts = []
            asset.size = 0
            asset.status = AssetStatus.REFUSED
            asset.error_code = code[:40]
            asset.error_message = message[:500]
            asset.save(
                update_fields=[
                    "parts", "size", "status", "error_code", "error_message", "updated_at"
                ]
            )  # fmt: skip
            return _refused(asset, code)

    def fail(self, code: str, message: str) -> dict:
        log.error("intake of asset %s failed: %s", self.asset.public_id, message)
        self.lease.renew(force=True)
        asset = self.asset
        asset.status = AssetStatus.FAILED
        asset.error_code = code
        asset.error_message = message[:500]
        asset.save(update_fields=["status", "error_code", "error_message", "updated_at"])
        return {"asset": str(asset.public_id), "status": asset.status, "code": code}


def _refused(asset: Asset, code: str, **data: str) -> dict:
    """Audit a refusal on intake (what was kept, if anything) and say it in the task's result."""
    record(
        AuditAction.FILE_REFUSED,
        organization=asset.organization,
        patient=asset.patient,
        target=asset,
        outcome=AuditOutcome.FAILURE,
        data={"code": code, **data},
    )
    return {"asset": str(asset.public_id), "status": asset.status, "code": code}
