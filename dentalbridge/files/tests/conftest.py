"""Fixtures for the files tests: a patient, and the files storage on local disk or on the
S3-protocol server (each test that takes ``files_storage`` runs on both)."""

from datetime import date

import pytest

from conftest import acting
from dentalbridge.patients import services as patient_services


@pytest.fixture
def local_files(settings, tmp_path):
    root = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            f"files-{region}": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": root / region},
            }
            for region in settings.FILE_REGIONS
        },
    }
    return root


@pytest.fixture(params=["local", "s3"])
def files_storage(request):
    """Which storage the files go to: a folder, or a bucket on the S3 server."""
    if request.param == "local":
        request.getfixturevalue("local_files")
    else:
        request.getfixturevalue("s3_storage")
    return request.param


@pytest.fixture
def patient(world):
    return patient_services.patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Jane",
        family_name="Doe",
        date_of_birth=date(1980, 4, 2),
        attending_dentist=world.dentist,
    )


def stored_objects(settings) -> dict[str, bytes]:
    """Every object in the files storages (name → bytes), whatever the backend."""
    from django.core.files.storage import storages

    found = {}
    for region in settings.FILE_REGIONS:
        storage = storages[f"files-{region}"]
        stack = [""]
        while stack:
            folder = stack.pop()
            try:
                dirs, files = storage.listdir(folder)
            except FileNotFoundError:
                continue
            stack.extend(f"{folder}/{d}".strip("/") for d in dirs)
            for name in files:
                path = f"{folder}/{name}".strip("/")
                with storage.open(path, "rb") as handle:
                    found[f"{region}/{path}"] = handle.read()
    return found
