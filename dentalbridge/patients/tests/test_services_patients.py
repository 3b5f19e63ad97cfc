import re
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import acting
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.patients import access, services
from dentalbridge.privacy import audit
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm

pytestmark = pytest.mark.django_db

ADULT = {
    "given_name": "Giulia",
    "family_name": "Rossi",
    "date_of_birth": date(1980, 5, 17),
    "sex": "female",
    "email": "giulia.rossi@patient.example",
    "phone": "+39 051 000 0000",
    "external_reference": "CART-0042",
}


def create(world, actor=None, **overrides):
    principal = actor or acting(world.owner, world.practice)
    return services.patient_create(actor=principal, **{**ADULT, **overrides})


def events(action):
    return AuditEvent.objects.filter(action=action).order_by("seq")


def test_owner_registers_a_patient_with_a_stable_random_pseudonym(world):
    patient = create(world, attending_dentist=world.dentist)
    assert re.fullmatch(r"P-[A-HJ-NP-TV-Z2-9]{4}-\d{2}", patient.pseudonym)
    assert patient.organization == world.practice
    event = events("patient.created").get()
    assert event.patient_id == patient.public_id
    assert event.organization_id == world.practice.public_id
    # The audit line identifies the patient by id only, never by name or contact data.
    assert "Rossi" not in str(event.data) and "giulia" not in str(event.data).lower()
    services.patient_update(
        actor=acting(world.owner, world.practice), patient_id=patient.public_id, notes="Bruxism"
    )
    assert (
        access.patient_access(
            acting(world.owner, world.practice), patient.public_id, Perm.PATIENT_VIEW
        ).pseudonym
        == patient.pseudonym
    )


@pytest.mark.parametrize("persona", ["owner", "dentist", "assistant"])
def test_the_practice_team_registers_and_reads_patients(world, persona):
    user = getattr(world, persona)
    patient = create(world, actor=acting(user, world.practice))
    seen = access.patient_access(acting(user, world.practice), patient.public_id, Perm.PATIENT_VIEW)
    assert seen.pk == patient.pk
    viewed = events("patient.viewed").get()
    assert (viewed.actor_id, viewed.patient_id) == (user.public_id, patient.public_id)


@pytest.mark.parametrize(
    ("persona", "organization"),
    [
        ("other_owner", "other_practice"),
        ("manager", "lab"),
        ("technician", "lab"),
        ("designer", "lab"),
        ("dpo", "platform"),
    ],
)
def test_nobody_outside_the_practice_finds_its_patients(world, persona, organization):
    patient = create(world)
    outsider = acting(getattr(world, persona), getattr(world, organization))
    with pytest.raises(NotFound):
        access.patient_access(outsider, patient.public_id, Perm.PATIENT_VIEW)
    with pytest.raises(NotFound):
        services.patient_update(actor=outsider, patient_id=patient.public_id, notes="x")
    if outsider.organization.is_practice:  # another practice sees its own patients only
        assert patient.pk not in [p.pk for p in access.patients_query(outsider)]
    else:  # labs and the platform have no patient list at all
        with pytest.raises(NotFound):
            access.patients_query(outsider)
        with pytest.raises(NotFound):
            services.patient_create(actor=outsider, **ADULT)


def test_assistant_may_not_delete_but_dentist_may(world):
    patient = create(world)
    with pytest.raises(Forbidden):
        services.patient_delete(
            actor=acting(world.assistant, world.practice), patient_id=patient.public_id
        )
    services.patient_delete(
        actor=acting(world.dentist, world.practice), patient_id=patient.public_id, reason="dup"
    )
    assert events("patient.deleted").get().reason == "dup"


def test_deleted_patient_is_hidden_at_once_and_restorable(world):
    owner = acting(world.owner, world.practice)
    patient = create(world)
    services.patient_delete(actor=owner, patient_id=patient.public_id)
    with pytest.raises(NotFound):
        access.patient_access(owner, patient.public_id, Perm.PATIENT_VIEW)
    assert list(access.patients_query(owner)) == []
    assert [p.pk for p in access.patients_query(owner, deleted=True)] == [patient.pk]
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        services.patient_restore(actor=owner, patient_id=patient.public_id)
    restored = access.patient_access(owner, patient.public_id, Perm.PATIENT_VIEW)
    assert restored.family_name == "Rossi"
    with pytest.raises(NotFound, match="No deleted patient"):
        services.patient_restore(actor=owner, patient_id=patient.public_id)


def test_listing_and_searching_are_audited_without_the_search_text(world):
    owner = acting(world.owner, world.practice)
    rossi = create(world)
    create(world, given_name="Marco", family_name="Bianchi", external_reference="CART-0043")
    assert [p.pk for p in access.patients_query(owner, search="ross")] == [rossi.pk]
    assert [p.pk for p in access.patients_query(owner, search=rossi.pseudonym)] == [rossi.pk]
    assert [p.pk for p in access.patients_query(owner, search="cart-0042")] == [rossi.pk]
    listed = events("patient.listed")
    assert listed.count() == 3
    assert all(e.data == {"searched": True, "deleted": False} for e in listed)
    assert "ross" not in str(list(listed.values_list("data", "reason")))


def test_update_records_changed_field_names_only(world):
    owner = acting(world.owner, world.practice)
    patient = create(world)
    services.patient_update(actor=owner, patient_id=patient.public_id, phone="+39 051 111 1111")
    services.patient_update(actor=owner, patient_id=patient.public_id, phone="+39 051 111 1111")
    updated = events("patient.updated").get()  # the second call changed nothing
    assert updated.data == {"fields": "phone"}
    assert audit.verify().ok


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_of_birth": timezone.localdate() + timedelta(days=1)}, "date_of_birth", "future"),
        ({"date_of_birth": date(1850, 1, 1)}, "date_of_birth", "year of birth"),
        ({"date_of_birth": "17/05/1980"}, "date_of_birth", "YYYY-MM-DD"),
        ({"family_name": "x" * 10_000}, "family_name", "At most 100"),
        ({"given_name": "   "}, "given_name", "required"),
        ({"email": "not-an-address"}, "email", "valid e-mail"),
        ({"sex": "robot"}, "sex", "listed options"),
        ({"notes": "n" * 5001}, "notes", "At most 5000"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(world, overrides, field, message):
    with pytest.raises(ValidationFailed) as error:
        create(world, **overrides)
    assert message in " ".join(error.value.fields[field])
    assert not events("patient.created").exists()


def test_markup_is_stored_as_text(world):
    patient = create(world, notes="<script>alert('x')</script>")
    assert patient.notes == "<script>alert('x')</script>"  # escaped when rendered, not mangled


def test_attending_dentist_must_be_a_dentist_of_this_practice(world):
    with pytest.raises(ValidationFailed) as error:
        create(world, attending_dentist=world.other_owner)
    assert "attending_dentist" in error.value.fields
    with pytest.raises(ValidationFailed):
        create(world, attending_dentist=world.assistant)


def test_a_minor_needs_a_guardian_and_consent_before_leaving_the_practice(world):
    owner = acting(world.owner, world.practice)
    today = timezone.localdate()
    ten_years_ago = today.replace(year=today.year - 10, day=min(today.day, 28))
    with pytest.raises(ValidationFailed) as error:
        create(world, date_of_birth=ten_years_ago)
    assert set(error.value.fields) == {"guardian_name", "guardian_contact"}
    child = create(
        world,
        date_of_birth=ten_years_ago,
        guardian_name="Paola Rossi",
        guardian_contact="paola.rossi@patient.example",
    )
    assert child.is_minor and not child.may_leave_the_practice
    child = services.guardian_consent_record(actor=owner, patient_id=child.public_id)
    assert child.may_leave_the_practice
    adult = create(world)
    with pytest.raises(Conflict):
        services.guardian_consent_record(actor=owner, patient_id=adult.public_id)


def test_age_is_derived_from_the_date_of_birth(world):
    patient = create(world, date_of_birth=date(2000, 2, 29))
    assert patient.age_on(date(2026, 2, 28)) == 25
    assert patient.age_on(date(2026, 3, 1)) == 26


def test_a_pseudonym_clash_draws_again(world, monkeypatch):
    first = create(world)
    draws = iter([first.pseudonym, first.pseudonym, "P-ZZZZ-99"])
    monkeypatch.setattr(services, "new_pseudonym", lambda: next(draws))
    second = create(world, given_name="Marco", family_name="Bianchi")
    assert second.pseudonym == "P-ZZZZ-99"
    assert events("patient.created").count() == 2


def test_search_text_with_a_nul_byte_is_answered_not_an_error(world):
    """Found by the API fuzzer: PostgreSQL refuses NUL in a query string."""
    owner = acting(world.owner, world.practice)
    rossi = create(world)
    assert [p.pk for p in access.patients_query(owner, search="\x00Ross\x00i")] == [rossi.pk]
