"""The record (REC-2, REC-6): a timeline of items whose edits keep every earlier version."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import acting
from dentalbridge.core.errors import Forbidden, NotFound, ValidationFailed
from dentalbridge.patients import access, services
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(world):
    return services.patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Anna",
        family_name="Verdi",
        date_of_birth=date(1969, 9, 9),
        attending_dentist=world.dentist,
    )


def add(world, patient, **fields):
    values = {"kind": "note", "title": "Check-up", "text": "No caries.", **fields}
    return services.record_item_create(
        actor=acting(world.assistant, world.practice), patient_id=patient.public_id, **values
    )


def test_editing_an_item_keeps_the_previous_version_viewable(world, patient):
    item = add(world, patient, taken_on=date(2026, 11, 2))
    services.record_item_update(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        item_id=item.public_id,
        text="No caries. Gingivitis on 36.",
    )
    opened = access.record_item_access(
        acting(world.owner, world.practice), patient.public_id, item.public_id, Perm.PATIENT_VIEW
    )
    versions = list(opened.versions.all())
    assert [(v.number, v.text) for v in versions] == [
        (1, "No caries."),
        (2, "No caries. Gingivitis on 36."),
    ]
    assert versions[0].author == world.assistant and versions[1].author == world.dentist
    assert versions[1].taken_on == date(2026, 11, 2)
    actions = list(
        AuditEvent.objects.filter(target_id=str(item.public_id))
        .order_by("seq")
        .values_list("action", "data")
    )
    assert actions == [
        ("record.item_created", {"kind": "note"}),
        ("record.item_updated", {"version": 2, "fields": "text"}),
        ("record.item_viewed", {}),
    ]


def test_an_unchanged_edit_adds_no_version(world, patient):
    item = add(world, patient)
    services.record_item_update(
        actor=acting(world.owner, world.practice),
        patient_id=patient.public_id,
        item_id=item.public_id,
        title="Check-up",
    )
    assert access.record_item_latest_number(item) == 1


def test_the_timeline_costs_two_queries_whatever_its_length(world, patient):
    for n in range(3):
        add(world, patient, title=f"Item {n}")
    with CaptureQueriesContext(connection) as small:
        items = list(access.record_of(patient))
        [list(i.versions.all()) for i in items]
    for n in range(12):
        add(world, patient, kind="photo", title=f"Photo {n}")
    with CaptureQueriesContext(connection) as large:
        items = list(access.record_of(patient))
        [list(i.versions.all()) for i in items]
    assert len(items) == 15
    assert len(small) == len(large) == 2


def test_a_care_team_physician_reads_items_but_adds_none(world, patient):
    item = add(world, patient)
    services.care_grant_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        grantee_email=world.other_owner.email,
        reason="Second opinion",
    )
    colleague = acting(world.other_owner, world.other_practice)
    opened = access.record_item_access(
        colleague, patient.public_id, item.public_id, Perm.PATIENT_VIEW
    )
    assert opened.pk == item.pk
    viewed = AuditEvent.objects.filter(action="record.item_viewed").get()
    assert viewed.reason.startswith("care team grant")
    with pytest.raises(Forbidden):
        services.record_item_create(
            actor=colleague, patient_id=patient.public_id, kind="note", title="Mine"
        )


def test_other_tenants_find_no_item(world, patient):
    item = add(world, patient)
    for user, org in ((world.other_owner, world.other_practice), (world.manager, world.lab)):
        with pytest.raises(NotFound):
            access.record_item_access(
                acting(user, org), patient.public_id, item.public_id, Perm.PATIENT_VIEW
            )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"text": "x" * 20_001}, "text"),
        ({"taken_on": timezone.localdate() + timedelta(days=1)}, "taken_on"),
        ({"kind": "hologram"}, "kind"),
    ],
)
def test_bad_items_are_refused_and_nothing_is_saved(world, patient, fields, field):
    with pytest.raises(ValidationFailed) as error:
        add(world, patient, **fields)
    assert field in error.value.fields
    assert list(access.record_of(patient)) == []
