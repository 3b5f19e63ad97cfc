"""Fixed, fictional personas (STYLE.md §4) shared by every test.

Two practices, one lab (manager, technician, freelance designer), the platform (DPO), and a user
in two organizations. Everyone who can reach patient data has TOTP enrolled with DEMO_SECRET.
"""

import pytest
from django.test import Client

from dentalbridge.accounts.models import User
from dentalbridge.accounts.services import totp_enrol
from dentalbridge.organizations.models import Membership, Organization

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "correct horse battery staple 42"


def make_user(email: str, name: str, *, mfa: bool = True) -> User:
    user = User.objects.create_user(email, PASSWORD, full_name=name)
    user.emailaddress_set.create(email=email, verified=True, primary=True)
    if mfa:
        totp_enrol(user=user, secret=TOTP_SECRET)
    return user


def make_org(kind: str, name: str, country: str = "NL", **fields) -> Organization:
    return Organization.objects.create(kind=kind, name=name, country=country, **fields)


class World:
    """Everyone, as attributes: ``world.owner``, ``world.practice``, …"""


@pytest.fixture
def world(db) -> World:
    w = World()
    w.practice = make_org("practice", "Smile Studio", city="Utrecht")
    w.other_practice = make_org("practice", "Other Dental", country="IT", city="Bologna")
    w.lab = make_org("lab", "Precision Lab", city="Rotterdam")
    w.other_lab = make_org("lab", "Faraway Lab", country="RO", city="Cluj-Napoca")
    w.platform = make_org("platform", "DentalBridge Operator")
    people = {
        "owner": ("olivia.owner@smile.example", "Olivia Owner", w.practice, "owner"),
        "dentist": ("dan.dentist@smile.example", "Dan Dentist", w.practice, "dentist"),
        "assistant": ("ada.assistant@smile.example", "Ada Assistant", w.practice, "assistant"),
        "other_owner": ("oscar.other@other.example", "Oscar Other", w.other_practice, "owner"),
        "manager": ("mia.manager@lab.example", "Mia Manager", w.lab, "manager"),
        "technician": ("tom.technician@lab.example", "Tom Technician", w.lab, "technician"),
        "designer": ("dora.designer@freelance.example", "Dora Designer", w.lab, "designer"),
        "other_manager": ("fay.faraway@faraway.example", "Fay Faraway", w.other_lab, "manager"),
        "dpo": ("dee.dpo@platform.example", "Dee DPO", w.platform, "dpo"),
        "support": ("sam.support@platform.example", "Sam Support", w.platform, "support"),
    }
    for attr, (email, name, org, role) in people.items():
        user = make_user(email, name)
        Membership.objects.create(user=user, organization=org, role=role)
        setattr(w, attr, user)
    w.newcomer = make_user("nina.new@newcomer.example", "Nina Newcomer", mfa=False)
    return w


def client_for(user: User | None, *, membership: Membership | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
        if membership is not None:
            session = client.session
            session["dentalbridge_active_membership"] = str(membership.public_id)
            session.save()
    return client


@pytest.fixture
def as_user():
    return client_for


@pytest.fixture(autouse=True)
def _audit_checkpoints_beside_this_tests_database(settings, tmp_path):
    """Each test's database holds its own audit log; its signed checkpoints go beside it."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


@pytest.fixture(scope="session", autouse=True)
def _flush_may_empty_the_audit_log():
    """Between transactional tests Django empties every table; on SQLite the audit table's
    append-only triggers refuse that unless the test suite says so (privacy.audit)."""
    from django.core.management.commands import flush

    from dentalbridge.privacy.audit import changes_allowed

    original = flush.Command.handle

    def handle(self, *args, **options):
        with changes_allowed():
            return original(self, *args, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-protocol server (moto) on a free loopback port, for the whole test session."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    """Point default storage at a fresh bucket on the S3 server, as production does."""
    import uuid

    import boto3

    bucket = f"test-{uuid.uuid4().hex[:12]}"
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", **credentials
    ).create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": s3_endpoint,
        "access_key": "test",
        "secret_key": "test",
        "region_name": "us-east-1",
        "signature_version": "s3v4",
        "addressing_style": "path",
        "file_overwrite": False,
    }
    backend = "storages.backends.s3.S3Storage"
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": backend, "OPTIONS": options},
        # Patient files: one prefix per data region in the same bucket, as production may.
        **{
            f"files-{region}": {
                "BACKEND": backend,
                "OPTIONS": {**options, "location": f"files/{region}"},
            }
            for region in settings.FILE_REGIONS
        },
    }
    return bucket


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English, whatever language an earlier request left active."""
    from django.utils import translation

    with translation.override("en"):
        yield


def acting(user: User, organization: Organization | None = None):
    """The principal of ``user`` acting for ``organization`` (or for none)."""
    from dentalbridge.privacy.principal import Principal

    membership = (
        Membership.objects.get(user=user, organization=organization) if organization else None
    )
    return Principal(user=user, membership=membership)
