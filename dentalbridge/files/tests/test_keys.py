"""Encryption at rest (FIL-2): envelope keys, rotation without touching files, and
crypto-shredding — once a purged patient's archive period ends, no copy of their files can be
read again, not even a backup of the stored bytes."""

from datetime import date, timedelta

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.utils import timezone

from conftest import acting
from dentalbridge.files import blobs, delivery, keys
from dentalbridge.files.models import Asset, PatientKey, TenantKey
from dentalbridge.files.tests.factories import SCAN, stored_scan
from dentalbridge.patients import services as patient_services
from dentalbridge.patients.models import PatientArchive
from dentalbridge.patients.retention import patients_purge_due
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def _read(asset) -> bytes:
    return b"".join(delivery.plaintext(asset))


def test_keys_are_stored_wrapped_and_unwrap_through_the_chain(world, patient, local_files):
    asset = stored_scan(acting(world.owner, world.practice), patient)
    key = asset.patient_key
    assert key.recipient.startswith("age1")
    assert "AGE-SECRET-KEY" not in key.wrapped_identity
    tenant = key.tenant_key
    assert tenant.organization_id == world.practice.pk
    with pytest.raises(ValueError):  # the stored tenant key is not a usable key by itself
        Fernet(tenant.wrapped.encode())
    assert _read(asset) == SCAN


def test_master_and_tenant_keys_rotate_and_files_stay_readable(
    world, patient, local_files, settings
):
    first = keys.new_master_key_entry()
    settings.FILES_MASTER_KEYS = first
    keys._tenant_cache.clear()
    asset = stored_scan(acting(world.owner, world.practice), patient)
    old_master = first.split(":")[0]
    assert asset.patient_key.tenant_key.master_key_id == old_master

    second = keys.new_master_key_entry()
    settings.FILES_MASTER_KEYS = f"{second},{first}"
    call_command("files_keys", "rotate-master")
    assert set(TenantKey.objects.values_list("master_key_id", flat=True)) == {second.split(":")[0]}
    settings.FILES_MASTER_KEYS = second  # the old master key can now be removed
    keys._tenant_cache.clear()
    with through_the_door():
        asset = Asset.objects.select_related("patient_key__tenant_key").get(pk=asset.pk)
    assert _read(asset) == SCAN

    call_command("files_keys", "rotate-tenant", str(world.practice.public_id))
    keys._tenant_cache.clear()
    active = TenantKey.objects.get(organization=world.practice, retired_at=None)
    with through_the_door():
        asset = Asset.objects.select_related("patient_key__tenant_key").get(pk=asset.pk)
    assert asset.patient_key.tenant_key_id == active.pk
    assert _read(asset) == SCAN


def test_a_misconfigured_master_key_is_refused_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.FILES_MASTER_KEYS = "m1:not-a-key"
    with pytest.raises(ImproperlyConfigured):
        keys.master_ring()
    settings.FILES_MASTER_KEYS = "no-separator"
    with pytest.raises(ImproperlyConfigured):
        keys.master_ring()


def _patient_with_a_scan(world):
    dentist = acting(world.dentist, world.practice)
    patient = patient_services.patient_create(
        actor=dentist,
        given_name="Dario",
        family_name="Delete",
        date_of_birth=date(1950, 6, 6),
        attending_dentist=world.dentist,
    )
    return dentist, patient, stored_scan(dentist, patient)


def test_purge_keeps_files_for_the_archive_then_shreds_them(world, local_files, settings):
    dentist, patient, asset = _patient_with_a_scan(world)
    storage = blobs.region_storage(asset.region)
    names = [part["name"] for part in asset.parts]
    backup = {name: storage.open(name, "rb").read() for name in names}  # an operator's backup
    patient_services.patient_delete(actor=dentist, patient_id=patient.public_id, reason="moved")

    later = timezone.now() + timedelta(days=settings.PATIENT_RESTORE_DAYS + 1)
    with time_machine.travel(later):
        patients_purge_due()
    with through_the_door():
        archive = PatientArchive.objects.get(patient_id=patient.public_id)
        key = PatientKey.objects.get(archived_patient_id=patient.public_id)
    listed = archive.content["files"]
    assert {entry["role"] for entry in listed} == {"original", "shared"}
    assert all(storage.exists(name) for entry in listed for name in entry["parts"])
    assert key.patient_id is None  # detached, kept for the archive period
    identity = keys.identity_of(key)
    assert blobs.read_blob(storage, [asset.parts[0]], identity)  # still readable meanwhile

    with time_machine.travel(archive.keep_until + timedelta(days=1)):
        patients_purge_due()
    with through_the_door():
        assert not PatientKey.objects.filter(archived_patient_id=patient.public_id).exists()
    assert not any(storage.exists(name) for entry in listed for name in entry["parts"])
    # The backup copy of the bytes was readable only with the patient's identity, which existed
    # only wrapped in the key row now deleted: nothing left in the database can open it.
    import pyrage

    assert pyrage.decrypt(backup[names[0]], [identity])  # (the identity held in this test)
    with through_the_door():
        assert not PatientKey.objects.filter(recipient=key.recipient).exists()
    with pytest.raises(keys.KeyUnavailable):
        keys.identity_of(None)
    event = AuditEvent.objects.filter(action="file.keys_destroyed").get()
    assert event.data["keys"] == 1
    assert event.reason == "retention: archive period over"


def test_an_erasure_that_ends_an_archive_says_so_when_it_destroys_the_keys(
    world, local_files, settings
):
    from dentalbridge.files.retention import shred_archived_files
    from dentalbridge.privacy.principal import Purpose, SystemActor

    dentist, patient, _asset = _patient_with_a_scan(world)
    patient_services.patient_delete(actor=dentist, patient_id=patient.public_id, reason="moved")
    with time_machine.travel(timezone.now() + timedelta(days=settings.PATIENT_RESTORE_DAYS + 1)):
        patients_purge_due()
    with through_the_door():
        archive = PatientArchive.objects.get(patient_id=patient.public_id)
    assert shred_archived_files(archive, system=SystemActor(Purpose.ERASURE)) == 1
    event = AuditEvent.objects.filter(action="file.keys_destroyed").get()
    assert event.reason == "erasure: the archive ends with the erasure"
