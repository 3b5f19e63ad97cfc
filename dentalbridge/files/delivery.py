"""Getting files out (FIL-6, FIL-7): short-lived signed links and streamed ZIPs.

A download link names one asset and the person and organization it was issued to, signed and
valid for ``FILES_DOWNLOAD_LINK_SECONDS``. Following it checks access again (a membership ended or
a care-team grant revoked since the link was made stops it) and writes a ``file.downloaded``
audit event — one per download, whoever follows the link. The bytes are decrypted as they are
sent; nothing is written to disk.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from dentalbridge.core.errors import NotFound
from dentalbridge.files import access, blobs, keys
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.organizations import selectors
from dentalbridge.patients import access as patients_access
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.principal import Principal

SALT = "dentalbridge.files.download"


def display_name(asset: Asset, outside: bool) -> str:
    """The practice sees what it uploaded; everyone else the generated, identity-free name."""
    if outside or asset.role != AssetRole.ORIGINAL or not asset.original_name:
        return asset.filename
    return asset.original_name


def fetchable(asset: Asset, *, outside: bool) -> bool:
    """May its reader fetch the file's bytes: a ready or held file (the access layer decides who
    reaches it); an original stored without a completed check (issue 13, finding 2) only by its
    own practice, never by anyone outside it."""
    if not asset.parts:
        return False
    if asset.status in (AssetStatus.READY, AssetStatus.HELD):
        return True
    return asset.status == AssetStatus.UNCHECKED and not outside


def link_for(principal: Principal, asset: Asset, *, inline: bool = False) -> str:
    """A link for the browser works only for the person it was made for, signed in; one made
    for an API client (``principal.via == "token"``) works for whoever holds it — a CAD program or
    download manager — for its few minutes."""
    token = signing.dumps(
        {
            "a": str(asset.public_id),
            "p": str(asset.patient.public_id),
            # Links are made for a member who reached the asset: signed in, acting for a tenant.
            "u": str(principal.user.public_id),  # type: ignore[union-attr]
            "o": str(principal.organization.public_id),  # type: ignore[union-attr]
            "i": int(inline),
            "b": int(principal.via == "token"),
        },
        salt=SALT,
        compress=True,
    )
    return reverse("file_download", args=[token])


def _principal_from(payload: dict, ip, user_agent) -> Principal:
    from dentalbridge.accounts.models import User

    user = User.objects.filter(public_id=payload["u"], is_active=True).first()
    if user is None:
        raise NotFound()
    membership = selectors.active_membership_for(user, payload["o"])
    if membership is None:
        raise NotFound()
    return Principal(user=user, membership=membership, via="link", ip=ip, user_agent=user_agent)


UNSATISFIABLE = "unsatisfiable"
_RANGE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")


def requested_range(header: str, size: int, *, if_range: str = "", etag: str = ""):
    """What an HTTP ``Range`` header asks of a file of ``size`` bytes (RFC 9110 §14): None for
    the whole file (no header, one the server may ignore — bad syntax, several ranges — or an
    ``If-Range`` that no longer matches), ``UNSATISFIABLE`` (416), or (start, stop), stop
    exclusive, clipped to the file."""
    header = (header or "").strip()
    if not header or (if_range and if_range.strip() != etag):
        return None
    match = _RANGE.fullmatch(header.replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return (max(size - suffix, 0), size)
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return UNSATISFIABLE
    return (start, min(int(last) + 1, size) if last else size)


def etag_of(asset: Asset) -> str:
    """A strong validator: the file's SHA-256 (a new version is a new asset)."""
    return f'"{asset.sha256}"' if asset.sha256 else ""


def open_link(
    token: str,
    *,
    user=None,
    ip=None,
    user_agent: str = "",
    range_header: str = "",
    if_range: str = "",
):
    """(asset, principal, inline, outside, byte_range) for a valid, unexpired link followed by
    the person it was made for (or any holder of an API link); the download is audited, with the
    part of the file asked for (``byte_range``, see ``requested_range``)."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.FILES_DOWNLOAD_LINK_SECONDS)
    except signing.BadSignature:
        raise NotFound() from None
    bearer = bool(payload.get("b"))
    if not bearer and (user is None or not user.is_authenticated):
        raise NotFound()
    if not bearer and str(user.public_id) != payload["u"]:
        raise NotFound()
    principal = _principal_from(payload, ip, user_agent)
    asset, outside = access.asset_access(principal, payload["p"], payload["a"], Perm.PATIENT_VIEW)
    if not fetchable(asset, outside=outside):
        raise NotFound()
    byte_range = requested_range(range_header, asset.size, if_range=if_range, etag=etag_of(asset))
    data = {"role": asset.role, "size": asset.size, "inline": bool(payload["i"])}
    if isinstance(byte_range, tuple):
        data["range"] = f"{byte_range[0]}-{byte_range[1] - 1}"
    with transaction.atomic():
        record(
            AuditAction.FILE_DOWNLOADED,
            principal=principal,
            organization=principal.organization,
            patient=asset.patient,
            target=asset,
            data=data,
        )
    return asset, principal, bool(payload["i"]), outside, byte_range


def plaintext(asset: Asset, byte_range: tuple[int, int] | None = None) -> Iterator[bytes]:
    """The file's bytes, decrypted as they are read: all of them (checked against the file's
    SHA-256 at the end), or ``byte_range`` = (start, stop), stop exclusive."""
    storage = blobs.region_storage(asset.region)
    identity = keys.identity_of(asset.patient_key)
    if byte_range is not None:
        return blobs.read_range(storage, asset.parts, identity, *byte_range)
    return blobs.read_blob(storage, asset.parts, identity, sha256=asset.sha256)


class ZipSpool:
    """A write-only sink for ``zipfile`` whose bytes the generator hands out as they come."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        """Nothing to close (``zipfile`` leaves a file it was given open; the type asks for it)."""

    def drain(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _safe(part: str) -> str:
    part = re.sub(r"[^\w.\- ]+", "_", part).strip(" .") or "file"
    return part[:100]


def zip_stream(
    entries: Iterable[tuple[str, Asset]], texts: Iterable[tuple[str, bytes]] = ()
) -> Iterator[bytes]:
    """A ZIP of (name, asset) entries, streamed: stored (scans and images barely compress), with
    data descriptors, so no entry is ever held whole and nothing touches the disk. ``texts``
    (name, bytes), small documents made for the ZIP, come first, compressed."""
    spool = ZipSpool()
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, data in texts:
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        if spool.chunks:
            yield spool.drain()
        for name, asset in entries:
            info = zipfile.ZipInfo(name, date_time=asset.created_at.timetuple()[:6])
            with archive.open(info, "w", force_zip64=asset.size > zipfile.ZIP64_LIMIT) as entry:
                for chunk in plaintext(asset):
                    entry.write(chunk)
                    if spool.position and len(spool.chunks) > 8:
                        yield spool.drain()
            yield spool.drain()
    yield spool.drain()


def record_zip_entries(principal: Principal, patient_id) -> tuple[str, list[tuple[str, Asset]]]:
    """(zip name, entries) of every file of a record the principal may download; audited."""
    patient = patients_access.patient_access(
        principal, patient_id, Perm.PATIENT_VIEW, reason="files zip"
    )
    items = list(patients_access.record_of(patient))
    outside = principal.organization is None or principal.organization.pk != patient.organization_id
    entries = file_entries(patient, items, outside=outside)
    audit_zip_files(principal, patient, entries)
    return f"{patient.pseudonym}-files.zip", entries


def file_entries(
    patient, items, *, outside: bool, folder: str = "", held: bool = True
) -> list[tuple[str, Asset]]:
    """(name in a ZIP, asset) for the downloadable files of ``items``: the originals (or their
    repairs) for the practice and the patient, the anonymized copies for anyone outside; files
    held for the practice's confirmation only if ``held``."""
    grouped = access.files_of_items(patient, items, outside=outside)
    wanted = (AssetRole.SHARED,) if outside else (AssetRole.ORIGINAL, AssetRole.REPAIRED)
    statuses = (AssetStatus.READY, AssetStatus.HELD) if held else (AssetStatus.READY,)
    entries: list[tuple[str, Asset]] = []
    seen: set[str] = set()
    for item in items:
        for asset in grouped.get(item.pk, []):
            if asset.role not in wanted or not asset.parts:
                continue
            if asset.status not in statuses:
                continue
            version = asset.version.number if asset.version else 0
            place = f"{folder}{item.kind}-{str(item.public_id)[:8]}"
            name = f"{place}/v{version}-{_safe(display_name(asset, outside))}"
            while name in seen:
                name = f"{name}-{len(seen)}"
            seen.add(name)
            entries.append((name, asset))
    return entries


def audit_zip_files(principal: Principal, patient, entries, *, organization=None) -> None:
    """One ``file.downloaded`` per file going out in a ZIP."""
    with transaction.atomic():
        for _name, asset in entries:
            record(
                AuditAction.FILE_DOWNLOADED,
                principal=principal,
                organization=organization or principal.organization,
                patient=patient,
                target=asset,
                data={"role": asset.role, "size": asset.size, "zip": True},
            )


def viewer_models(principal, files, compare=None) -> str:
    """The 3D viewer's models as JSON: a signed inline link to each entry's preview, with its label
    and jaw; ``compare`` entries form the second group (a version compared with)."""
    models = []
    for group, entries in (("a", files), ("b", compare or [])):
        for entry in entries:
            preview = entry.get("preview")
            if preview is None:
                continue
            models.append(
                {
                    "url": link_for(principal, preview, inline=True),
                    "label": entry["label"],
                    "jaw": preview.jaw,
                    "format": "glb",
                    "group": group,
                }
            )
    return json.dumps(models)
