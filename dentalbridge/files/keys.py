"""Envelope encryption keys (FIL-2): master key → tenant key → patient key.

* **Master keys** come from the environment (``FILES_MASTER_KEYS="id:key,id:key"``, newest first,
  or ``FILES_MASTER_KEYS_FILE``); embedded and test runs keep one in ``DATA_DIR``. They are
  Fernet keys (``cryptography``) and only ever wrap tenant keys.
* **Tenant keys** (one active per organization) are Fernet keys stored wrapped by a master key.
* **Patient keys** are age X25519 identities (``pyrage``) stored wrapped by the tenant key. Files
  are encrypted to the identity's public recipient, so writing a file needs no secret at all.

Rotation rewraps without touching files: ``rotate_master_keys`` rewraps tenant keys under the
newest master key; ``rotate_tenant_key`` makes a new tenant key and rewraps the patient keys.
Erasing a patient deletes its keys, after which no copy of its files — backups included — can be
decrypted.
"""

from __future__ import annotations

import secrets
import threading

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from pyrage import x25519

from dentalbridge.files.models import PatientKey, TenantKey

_lock = threading.Lock()
_tenant_cache: dict[str, Fernet] = {}


class KeyUnavailable(Exception):
    """A key needed to read a file is missing (shredded) or cannot be unwrapped."""


def _parse_ring(text: str) -> list[tuple[str, Fernet]]:
    ring = []
    for entry in filter(None, (part.strip() for part in text.replace("\n", ",").split(","))):
        key_id, sep, key = entry.partition(":")
        if not sep or not key_id:
            raise ImproperlyConfigured(
                "FILES_MASTER_KEYS: each entry is id:key (a Fernet key), newest first."
            )
        try:
            ring.append((key_id, Fernet(key.encode())))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"FILES_MASTER_KEYS: the key {key_id!r} is not a Fernet key (32 url-safe base64 "
                "bytes); make one with `manage.py files_keys new-master-key`."
            ) from exc
    return ring


def new_master_key_entry() -> str:
    return f"m{timezone.now():%Y%m%d}{secrets.token_hex(2)}:{Fernet.generate_key().decode()}"


def master_ring() -> list[tuple[str, Fernet]]:
    text = settings.FILES_MASTER_KEYS
    if not text:
        path = settings.FILES_MASTER_KEY_FILE
        with _lock:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(new_master_key_entry() + "\n", encoding="utf-8")
                path.chmod(0o600)
        text = path.read_text(encoding="utf-8")
    ring = _parse_ring(text)
    if not ring:
        raise ImproperlyConfigured("FILES_MASTER_KEYS holds no key.")
    return ring


def _master(key_id: str) -> Fernet:
    for ring_id, fernet in master_ring():
        if ring_id == key_id:
            return fernet
    raise KeyUnavailable(f"master key {key_id} is not configured")


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def tenant_key_for(organization) -> TenantKey:
    """The organization's active tenant key, made on first use."""
    key = (
        TenantKey.objects.filter(organization=organization, retired_at=None)
        .order_by("-created_at")
        .first()
    )
    if key is None:
        master_id, master = master_ring()[0]
        key = TenantKey.objects.create(
            organization=organization,
            key_id=_new_id("tk"),
            wrapped=master.encrypt(Fernet.generate_key()).decode(),
            master_key_id=master_id,
        )
    return key


def tenant_fernet(key: TenantKey) -> Fernet:
    cached = _tenant_cache.get(key.key_id)
    if cached is None:
        try:
            raw = _master(key.master_key_id).decrypt(key.wrapped.encode())
        except InvalidToken as exc:
            raise KeyUnavailable(f"tenant key {key.key_id} does not unwrap") from exc
        cached = _tenant_cache[key.key_id] = Fernet(raw)
    return cached


def new_patient_key(patient) -> PatientKey:
    """A fresh data key for ``patient`` (the caller holds the patient through the access layer)."""
    identity = x25519.Identity.generate()
    tenant = tenant_key_for(patient.organization)
    key = PatientKey(
        patient=patient,
        key_id=_new_id("pk"),
        recipient=str(identity.to_public()),
        wrapped_identity=tenant_fernet(tenant).encrypt(str(identity).encode()).decode(),
        tenant_key=tenant,
    )
    key.save(force_insert=True)
    return key


def recipient_of(key: PatientKey) -> x25519.Recipient:
    return x25519.Recipient.from_str(key.recipient)


def identity_of(key: PatientKey | None) -> x25519.Identity:
    if key is None:
        raise KeyUnavailable("the patient's key has been destroyed")
    try:
        secret = tenant_fernet(key.tenant_key).decrypt(key.wrapped_identity.encode())
    except InvalidToken as exc:
        raise KeyUnavailable(f"patient key {key.key_id} does not unwrap") from exc
    return x25519.Identity.from_str(secret.decode())


def rotate_master_keys() -> int:
    """Rewrap every tenant key not yet under the newest master key; returns how many."""
    master_id, master = master_ring()[0]
    moved = 0
    for key in TenantKey.objects.exclude(master_key_id=master_id):
        with transaction.atomic():
            raw = _master(key.master_key_id).decrypt(key.wrapped.encode())
            key.wrapped = master.encrypt(raw).decode()
            key.master_key_id = master_id
            key.save(update_fields=["wrapped", "master_key_id", "updated_at"])
            moved += 1
    return moved


def rotate_tenant_key(organization, patient_keys) -> TenantKey:
    """A new tenant key for ``organization``; ``patient_keys`` (all of its patients' keys, from
    the access layer) are rewrapped under it and the old tenant keys retired."""
    with transaction.atomic():
        old = list(TenantKey.objects.filter(organization=organization, retired_at=None))
        TenantKey.objects.filter(pk__in=[k.pk for k in old]).update(retired_at=timezone.now())
        new = tenant_key_for(organization)
        fernet = tenant_fernet(new)
        for key in patient_keys:
            secret = tenant_fernet(key.tenant_key).decrypt(key.wrapped_identity.encode())
            key.wrapped_identity = fernet.encrypt(secret).decode()
            key.tenant_key = new
            key.save(update_fields=["wrapped_identity", "tenant_key", "updated_at"])
    return new
