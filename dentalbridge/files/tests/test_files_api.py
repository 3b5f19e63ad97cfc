"""The files API: what the practice and a care-team member see, and links a CAD program can
follow without a session (API links are bearer links for a few minutes, and audited)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import acting
from dentalbridge.accounts.services import api_token_create
from dentalbridge.files.tests.factories import SCAN, stored_scan
from dentalbridge.patients import services as patient_services
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def bearer(user, organization) -> Client:
    secret = api_token_create(actor=acting(user, organization), name="t", valid_days=1).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_practice_and_care_team_views_and_bearer_links(world, patient, local_files):
    asset = stored_scan(acting(world.owner, world.practice), patient)
    api = bearer(world.dentist, world.practice)
    listing = api.get(reverse("api_patient_files", args=[patient.public_id])).json()
    roles = {row["role"]: row for row in listing["results"]}
    assert set(roles) == {"original", "shared"}
    original = roles["original"]
    assert original["name"] == "Jane Doe upper.stl"  # the practice sees what it uploaded
    assert original["status"] == "ready" and original["size"] == len(SCAN)
    assert original["item"] == str(asset.item.public_id) and original["version"] == 1

    # A CAD program follows the link without any session or token.
    response = Client().get(original["download_url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SCAN
    assert AuditEvent.objects.filter(action="file.downloaded").count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert Client().get(original["download_url"]).status_code == 404

    patient_services.care_grant_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        grantee_email=world.other_owner.email,
        reason="Second opinion",
    )
    other = bearer(world.other_owner, world.other_practice)
    listing = other.get(reverse("api_patient_files", args=[patient.public_id])).json()
    assert [row["role"] for row in listing["results"]] == ["shared"]
    shared = listing["results"][0]
    assert "Jane" not in shared["name"] and shared["anonymization"] is None
    original_url = reverse("api_patient_file", args=[patient.public_id, asset.public_id])
    assert other.get(original_url).status_code == 404
    data = b"".join(Client().get(shared["download_url"]).streaming_content)
    assert data[80:] == SCAN[80:] and b"Jane" not in data


def test_browser_links_need_the_same_signed_in_person(world, patient, local_files):
    from conftest import client_for

    stored_scan(acting(world.owner, world.practice), patient)
    api = Client()
    api.force_login(world.dentist)
    listing = api.get(reverse("api_patient_files", args=[patient.public_id])).json()
    link = listing["results"][0]["download_url"]
    assert Client().get(link).status_code == 404  # no session: not the person it was made for
    assert client_for(world.assistant).get(link).status_code == 404
    assert client_for(world.dentist).get(link).status_code == 200


def test_the_practice_sees_its_storage_use_against_its_quota(world, patient, local_files, settings):
    from conftest import client_for

    settings.FILES_QUOTA_BYTES = 10 * 1024**2
    stored_scan(acting(world.owner, world.practice), patient)
    page = client_for(world.assistant).get(
        reverse("organization_detail", args=[world.practice.public_id])
    )
    text = page.content.decode()
    assert "of 10.0\xa0MB used by patient files" in text
    lab_page = client_for(world.manager).get(
        reverse("organization_detail", args=[world.lab.public_id])
    )
    assert "used by patient files" not in lab_page.content.decode()


def test_download_all_is_a_streamed_zip_of_the_record(world, patient, local_files):
    import io
    import zipfile

    from conftest import client_for

    owner = acting(world.owner, world.practice)
    first = stored_scan(owner, patient)
    stored_scan(owner, patient, item=first.item)
    response = client_for(world.assistant).get(
        reverse("patient_files_zip", args=[patient.public_id])
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert len(names) == 2 and names[0].endswith("v1-Jane Doe upper.stl")
    assert names[1].split("/")[-1].startswith("v2-")
    assert all(archive.read(name) == SCAN for name in names)
    assert AuditEvent.objects.filter(action="file.downloaded").count() == 2
