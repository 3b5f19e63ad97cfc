"""What a person gets for an access or portability request (Arts. 15 and 20): one ZIP, streamed.

* ``data.json`` — everything held on them, section by section. Each row carries exactly the
  fields the processing register declares for its model, so the export cannot fall behind the
  register (a test walks the register's categories against a seeded patient's export). The
  schema is documented in ``docs/privacy.md`` ("The personal-data export").
* ``fhir-bundle.json`` — for a patient: an HL7 FHIR Bundle (type ``collection``) with the Patient,
  an Observation per note, a DocumentReference per file and an ImagingStudy per CBCT study,
  built and validated with ``fhir.resources`` (R4B models: the R4 maintenance release, the same
  elements as R4 for these resources).
* ``files/…`` — the record's files, decrypted as they are written, never whole in memory.
* ``README.txt`` — what is in it, in words.

What is deliberately left out is listed in ``NOT_EXPORTED`` with the reason (Art. 15(4): a copy
must not affect the rights of others — staff members' addresses, encryption keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.utils import timezone

from dentalbridge.files import blobs, keys
from dentalbridge.files.delivery import ZipSpool
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.gdpr import purposes

FORMAT = "dentalbridge.personal-data"
FORMAT_VERSION = 1

# (model label, field) or model label alone → why it is not in the copy.
NOT_EXPORTED: dict[str | tuple[str, str], str] = {
    "files.PatientKey": "encryption keys: handing them out would weaken the protection of the data",
    ("files.Asset", "parts"): "names of encrypted storage objects, meaningless outside",
    ("files.Upload", "parts"): "names of encrypted storage objects, meaningless outside",
    ("gdpr.DataRequest", "verification_hash"): "a security token",
    ("privacy.AuditEvent", "ip"): "the network address of the staff member who acted",
    ("privacy.AuditEvent", "user_agent"): "the browser of the staff member who acted",
    ("privacy.AuditEvent", "actor_id"): "the account id of the staff member who acted",
    ("accounts.User", "password"): "a password hash: a security secret",
    ("accounts.ApiToken", "token_hash"): "a security secret",
    ("organizations.Invitation", "token_hash"): "a security secret",
    ("account.EmailConfirmation", "key"): "a security secret",
    ("mfa.Authenticator", "data"): "the secret of a second factor",
    ("socialaccount.SocialToken", "token"): "a security secret",
    ("socialaccount.SocialToken", "token_secret"): "a security secret",
    ("usersessions.UserSession", "session_key"): "a security secret",
    ("usersessions.UserSession", "data"): "the session's internal state",
}
# In a person's own account export, their own addresses and browsers are theirs to see.
OWN_ACTIVITY = {("privacy.AuditEvent", "ip"), ("privacy.AuditEvent", "user_agent")}


def declared_fields(label: str, *, allowed=frozenset()) -> list[str]:
    """The register's fields of a model, in declaration order, minus what is not exported."""
    if label in NOT_EXPORTED:
        return []
    names: list[str] = []
    for category in purposes.CATEGORIES:
        for name in category.fields.get(label, ()):
            left_out = (label, name) in NOT_EXPORTED and (label, name) not in allowed
            if name not in names and not left_out:
                names.append(name)
    return names


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if hasattr(value, "code") and hasattr(value, "name"):  # a django-countries Country
        return value.code
    return value


def row_id(obj) -> str:
    """A row's id in the copy: its public id, or model and number for rows without one."""
    public_id = getattr(obj, "public_id", None)
    return str(public_id) if public_id else f"{obj._meta.model_name}-{obj.pk}"


def row(obj, *, allowed=frozenset()) -> dict:
    label = obj._meta.label
    data = {"id": row_id(obj)}
    for name in declared_fields(label, allowed=allowed):
        data[name] = _plain(getattr(obj, name))
    return data


def _extras(section: str, obj) -> dict:
    """A few words that make a row understandable: which lab, which record item."""
    if section in ("orders",):
        return {"lab": obj.lab.name, "practice": obj.practice.name}
    if section == "shares":
        return {"lab": obj.lab.name}
    if section == "record_item_versions":
        return {"record_item": str(obj.item.public_id)}
    if section == "files":
        return {"record_item": str(obj.item.public_id)}
    if section == "care_team":
        return {"shared_with": obj.grantee.full_name or obj.grantee.email}
    return {}


def patient_sections(sections: dict[str, list]) -> dict[str, list[dict]]:
    return {
        name: [{**row(obj), **_extras(name, obj)} for obj in objects]
        for name, objects in sections.items()
    }


def account_sections(sections: dict[str, list]) -> dict[str, list[dict]]:
    return {
        name: [row(obj, allowed=OWN_ACTIVITY) for obj in objects]
        for name, objects in sections.items()
    }


def account_rows(user) -> dict[str, list]:
    """Every row held on a person's account (not patient data: the platform controls it)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount
    from allauth.usersessions.models import UserSession
    from django.db.models import Q

    from dentalbridge.accounts.models import ApiToken
    from dentalbridge.gdpr import access
    from dentalbridge.gdpr.models import ConsentRecord
    from dentalbridge.messaging.models import Notification, NotificationPreference, OutgoingEmail
    from dentalbridge.organizations.models import Invitation, Membership
    from dentalbridge.privacy.models import AuditEvent

    return {
        "account": [user],
        "email_addresses": list(EmailAddress.objects.filter(user=user)),
        "memberships": list(Membership.objects.filter(user=user)),
        "invitations": list(Invitation.objects.filter(email__iexact=user.email)),
        "second_factors": list(Authenticator.objects.filter(user=user)),
        "sign_in_providers": list(SocialAccount.objects.filter(user=user)),
        "sessions": list(UserSession.objects.filter(user=user)),
        "api_tokens": list(ApiToken.objects.filter(user=user)),
        "consents": list(ConsentRecord.objects.filter(user=user)),
        "notifications": list(Notification.objects.filter(recipient=user)),
        "notification_preferences": list(NotificationPreference.objects.filter(user=user)),
        "emails": list(OutgoingEmail.objects.filter(Q(user=user) | Q(to__iexact=user.email))),
        "data_requests": access.data_requests_of_user(user, limit=None),
        "activity": list(AuditEvent.objects.filter(actor_id=user.public_id).order_by("seq")),
    }


def file_entries(assets) -> list[tuple[str, Asset]]:
    """(name in the ZIP, asset) of the record's own files (originals and repaired copies)."""
    entries: list[tuple[str, Asset]] = []
    seen: set[str] = set()
    for asset in assets:
        if asset.role not in (AssetRole.ORIGINAL, AssetRole.REPAIRED) or not asset.parts:
            continue
        if asset.status not in (AssetStatus.READY, AssetStatus.HELD):
            continue
        name = f"files/{asset.item.kind}-{str(asset.item.public_id)[:8]}/{asset.filename}"
        while name in seen:
            name = f"{name}-{len(seen)}"
        seen.add(name)
        entries.append((name, asset))
    return entries


# --- FHIR -------------------------------------------------------------------------------------
def fhir_bundle(patient, versions, files: list[tuple[str, Asset, str]]) -> str:
    """A FHIR Bundle (collection) of the patient's record, validated by ``fhir.resources``.
    ``files`` are (name in the ZIP, asset, base64 SHA-1 computed while streaming)."""
    from fhir.resources.R4B.bundle import Bundle, BundleEntry
    from fhir.resources.R4B.documentreference import DocumentReference
    from fhir.resources.R4B.imagingstudy import ImagingStudy
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient as FhirPatient

    subject_url = f"urn:uuid:{patient.public_id}"
    subject = {"reference": subject_url}
    telecom = [
        {"system": system, "value": value}
        for system, value in (("email", patient.email), ("phone", patient.phone))
        if value
    ]
    person = FhirPatient(
        identifier=[{"system": "urn:ietf:rfc:3986", "value": subject_url}],
        name=[{"family": patient.family_name, "given": [patient.given_name]}],
        birthDate=patient.date_of_birth.isoformat(),
        gender={"female": "female", "male": "male", "intersex": "other"}.get(
            patient.sex, "unknown"
        ),
        telecom=telecom or None,
        address=[{"text": patient.address}] if patient.address else None,
    )
    entries = [BundleEntry(fullUrl=subject_url, resource=person)]
    latest: dict[int, Any] = {}
    for version in versions:
        if version.item_id not in latest or version.number > latest[version.item_id].number:
            latest[version.item_id] = version
    for version in latest.values():
        if version.item.kind != "note":
            continue
        observation = Observation(
            status="final",
            code={"text": version.title or "Clinical note"},
            valueString=version.text or version.title or "-",
            effectiveDateTime=(
                version.taken_on.isoformat() if version.taken_on else version.created_at
            ),
            subject=subject,
        )
        entries.append(
            BundleEntry(fullUrl=f"urn:uuid:{version.item.public_id}", resource=observation)
        )
    studies: dict[int, list] = {}
    for name, asset, sha1 in files:
        attachment: dict[str, Any] = {
            "contentType": asset.media_type,
            "title": asset.original_name or asset.filename,
            "url": name,
            "hash": sha1,
            "creation": asset.created_at.isoformat(),
        }
        if asset.size < 2**31:  # FHIR's unsignedInt
            attachment["size"] = asset.size
        document = DocumentReference(
            status="current",
            subject=subject,
            description=f"{asset.item.kind}: {asset.original_name or asset.filename}",
            content=[{"attachment": attachment}],
        )
        entries.append(BundleEntry(fullUrl=f"urn:uuid:{asset.public_id}", resource=document))
        if asset.item.kind == "cbct":
            studies.setdefault(asset.item_id, []).append(asset)
    for assets in studies.values():
        item = assets[0].item
        study = ImagingStudy(
            status="available",
            subject=subject,
            description=f"CBCT study {str(item.public_id)[:8]}",
            numberOfSeries=1,
            numberOfInstances=len(assets),
        )
        entries.append(BundleEntry(fullUrl=f"urn:uuid:{item.public_id}", resource=study))
    bundle = Bundle(type="collection", timestamp=timezone.now(), entry=entries)
    return bundle.model_dump_json(indent=2)


# --- The ZIP ----------------------------------------------------------------------------------
README = """Your personal data, as held by {controller} on {date}.

data.json         everything held on you, section by section ({format} v{version})
fhir-bundle.json  your dental record as an HL7 FHIR Bundle (patients only), for other systems
files/            the files of your record, as the practice stored them

Left out on purpose (and why):
{left_out}
"""


def _write_bytes(archive, name: str, data: bytes, spool: ZipSpool) -> Iterator[bytes]:
    info = zipfile.ZipInfo(name, date_time=timezone.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w") as entry:
        for start in range(0, len(data), 1 << 20):
            entry.write(data[start : start + (1 << 20)])
            yield spool.drain()
    yield spool.drain()


def export_stream(
    *, controller: str, data: dict, patient=None, versions=(), assets=()
) -> Iterator[bytes]:
    """The ZIP, as a stream of chunks. Files are stored (scans barely compress), decrypted as
    written; their SHA-1 (FHIR's attachment hash) is computed on the way, so the FHIR bundle
    goes last."""
    spool = ZipSpool()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "controller": controller,
        "not_exported": {
            (key if isinstance(key, str) else ".".join(key)): why
            for key, why in NOT_EXPORTED.items()
        },
        **data,
    }
    readme = README.format(
        controller=controller,
        date=timezone.localdate().isoformat(),
        format=FORMAT,
        version=FORMAT_VERSION,
        left_out="\n".join(
            f"- {key if isinstance(key, str) else '.'.join(key)}: {why}"
            for key, why in NOT_EXPORTED.items()
        ),
    )
    entries = file_entries(assets) if patient is not None else []
    hashed = []
    with zipfile.ZipFile(spool, "w", allowZip64=True) as archive:
        yield from _write_bytes(archive, "README.txt", readme.encode(), spool)
        yield from _write_bytes(
            archive,
            "data.json",
            json.dumps(document, indent=2, ensure_ascii=False, default=str).encode(),
            spool,
        )
        for name, asset in entries:
            info = zipfile.ZipInfo(name, date_time=asset.created_at.timetuple()[:6])
            sha1 = hashlib.sha1(usedforsecurity=False)
            storage = blobs.region_storage(asset.region)
            identity = keys.identity_of(asset.patient_key)
            with archive.open(info, "w", force_zip64=asset.size > zipfile.ZIP64_LIMIT) as entry:
                for chunk in blobs.read_blob(storage, asset.parts, identity, sha256=asset.sha256):
                    sha1.update(chunk)
                    entry.write(chunk)
                    if len(spool.chunks) > 8:
                        yield spool.drain()
            yield spool.drain()
            hashed.append((name, asset, base64.b64encode(sha1.digest()).decode()))
        if patient is not None:
            bundle = fhir_bundle(patient, versions, hashed)
            yield from _write_bytes(archive, "fhir-bundle.json", bundle.encode(), spool)
    yield spool.drain()
