"""Care team (REC-3): the attending dentist grants a physician access to one patient; grantees
may add others when allowed; revoking a grant ends every grant made from it; every grant,
revocation and use is in the audit log."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import acting, make_user
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.organizations.models import Membership
from dentalbridge.patients import access, services
from dentalbridge.privacy import audit
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


@pytest.fixture
def third(world):
    """A dentist of a third practice, reached only through the care team."""
    from conftest import make_org

    clinic = make_org("practice", "Third Clinic", country="RO")
    user = make_user("tudor.third@clinic.example", "Tudor Third")
    Membership.objects.create(user=user, organization=clinic, role="dentist")
    return acting(user, clinic)


def reads(principal, patient) -> bool:
    try:
        access.patient_access(principal, patient.public_id, Perm.PATIENT_VIEW)
    except NotFound:
        return False
    return True


def grant(actor, patient, email, **options):
    return services.care_grant_create(
        actor=actor,
        patient_id=patient.public_id,
        grantee_email=email,
        reason=options.pop("reason", "Second opinion on implant planning"),
        **options,
    )


def test_grant_read_regrant_and_revoking_the_first_ends_both(world, patient, third):
    dentist = acting(world.dentist, world.practice)
    colleague = acting(world.other_owner, world.other_practice)
    assert not reads(colleague, patient)

    first = grant(dentist, patient, world.other_owner.email, may_grant_others=True)
    assert reads(colleague, patient)
    second = grant(colleague, patient, "tudor.third@clinic.example", reason="Surgery")
    assert second.parent == first
    assert reads(third, patient)

    services.care_grant_revoke(
        actor=dentist, patient_id=patient.public_id, grant_id=first.public_id
    )
    assert not reads(colleague, patient)
    assert not reads(third, patient)  # the chain says so: it came from the revoked grant

    trail = list(
        AuditEvent.objects.filter(patient_id=patient.public_id)
        .order_by("seq")
        .values_list("action", "actor_id", "reason")
    )
    actions = [action for action, _, _ in trail]
    assert actions.count("care_team.granted") == 2
    assert actions.count("care_team.revoked") == 1
    uses = [r for action, actor, r in trail if action == "patient.viewed" and r.startswith("care")]
    assert f"care team grant {first.public_id}" in uses
    assert f"care team grant {second.public_id}" in uses
    assert audit.verify().ok


def test_a_grantee_reads_but_does_not_edit(world, patient):
    grant(acting(world.dentist, world.practice), patient, world.other_owner.email)
    colleague = acting(world.other_owner, world.other_practice)
    with pytest.raises(Forbidden):
        services.patient_update(actor=colleague, patient_id=patient.public_id, notes="x")
    with pytest.raises(NotFound):  # a deleted patient is not shared
        access.patient_access(colleague, patient.public_id, Perm.PATIENT_VIEW, deleted=True)
    assert [p.pk for p in access.patients_shared_with(colleague)] == [patient.pk]


def test_only_the_attending_dentist_or_an_allowed_grantee_adds_others(world, patient, third):
    for persona in ("assistant", "owner"):  # the patient has an attending dentist
        with pytest.raises(Forbidden):
            grant(acting(getattr(world, persona), world.practice), patient, world.other_owner.email)
    grant(acting(world.dentist, world.practice), patient, world.other_owner.email)
    with pytest.raises(Forbidden):  # granted without "may add others"
        grant(acting(world.other_owner, world.other_practice), patient, third.user.email)
    with pytest.raises(NotFound):  # not on the team at all
        grant(third, patient, world.other_owner.email)


def test_grants_expire(world, patient):
    soon = timezone.now() + timedelta(days=7)
    grant(acting(world.dentist, world.practice), patient, world.other_owner.email, expires_at=soon)
    colleague = acting(world.other_owner, world.other_practice)
    assert reads(colleague, patient)
    with time_machine.travel(soon + timedelta(seconds=1)):
        assert not reads(colleague, patient)


def test_a_minor_leaves_the_practice_only_with_guardian_consent(world):
    dentist = acting(world.dentist, world.practice)
    today = timezone.localdate()
    child = services.patient_create(
        actor=dentist,
        given_name="Luca",
        family_name="Verdi",
        date_of_birth=date(today.year - 7, 1, 15),
        attending_dentist=world.dentist,
        guardian_name="Sara Verdi",
        guardian_contact="sara.verdi@patient.example",
    )
    with pytest.raises(Conflict, match="guardian"):
        grant(dentist, child, world.other_owner.email)
    services.guardian_consent_record(actor=dentist, patient_id=child.public_id)
    grant(dentist, child, world.other_owner.email)
    assert reads(acting(world.other_owner, world.other_practice), child)


@pytest.mark.parametrize(
    ("email", "reason", "field"),
    [
        ("mia.manager@lab.example", "Needs it", "grantee_email"),  # a lab, not a physician
        ("nobody@nowhere.example", "Needs it", "grantee_email"),
        ("oscar.other@other.example", "   ", "reason"),
        ("oscar.other@other.example", "r" * 301, "reason"),
    ],
)
def test_bad_grants_are_refused_with_a_reason(world, patient, email, reason, field):
    with pytest.raises(ValidationFailed) as error:
        grant(acting(world.dentist, world.practice), patient, email, reason=reason)
    assert field in error.value.fields
    assert not AuditEvent.objects.filter(action="care_team.granted").exists()


def test_double_grant_and_double_revoke_are_conflicts(world, patient):
    dentist = acting(world.dentist, world.practice)
    first = grant(dentist, patient, world.other_owner.email)
    with pytest.raises(Conflict):
        grant(dentist, patient, world.other_owner.email)
    services.care_grant_revoke(
        actor=dentist, patient_id=patient.public_id, grant_id=first.public_id
    )
    with pytest.raises(Conflict):
        services.care_grant_revoke(
            actor=dentist, patient_id=patient.public_id, grant_id=first.public_id
        )


def test_an_assistant_may_not_revoke_but_the_owner_may(world, patient):
    first = grant(acting(world.dentist, world.practice), patient, world.other_owner.email)
    with pytest.raises(Forbidden):
        services.care_grant_revoke(
            actor=acting(world.assistant, world.practice),
            patient_id=patient.public_id,
            grant_id=first.public_id,
        )
    services.care_grant_revoke(
        actor=acting(world.owner, world.practice),
        patient_id=patient.public_id,
        grant_id=first.public_id,
    )
