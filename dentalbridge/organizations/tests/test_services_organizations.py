"""Organizations and memberships (ACC-2): who founds, who edits, who manages people, and the rule
that an organization always keeps an owner (practice) or manager (lab)."""

import contextlib
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from conftest import acting, make_user
from dentalbridge.accounts.models import ApiToken
from dentalbridge.accounts.services import api_token_create
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.organizations import services
from dentalbridge.organizations.models import Membership, Organization
from dentalbridge.privacy.audit import AuditAction
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal

pytestmark = pytest.mark.django_db


def membership_of(user, organization) -> Membership:
    return Membership.objects.get(user=user, organization=organization)


# --- organization_create -------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "role"), [("practice", "owner"), ("lab", "manager")])
def test_creator_of_an_organization_becomes_its_owner_or_manager(world, kind, role):
    organization = services.organization_create(
        actor=acting(world.newcomer),
        kind=kind,
        name="Newcomer Dental",
        country="NL",
        city="Leiden",
        vat_number="004495445B01",
    )
    organization.refresh_from_db()
    assert (organization.kind, organization.name, organization.city) == (
        kind,
        "Newcomer Dental",
        "Leiden",
    )
    assert organization.vat_number == "NL004495445B01"
    assert list(organization.memberships.values_list("user__email", "role")) == [
        (world.newcomer.email, role)
    ]
    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_CREATED)
    assert event.actor_id == world.newcomer.public_id
    assert event.organization_id == organization.public_id
    assert event.target_id == str(organization.public_id)
    assert event.data == {"kind": kind, "role": role}


def test_member_of_one_organization_may_found_another(world):
    organization = services.organization_create(
        actor=acting(world.dentist, world.practice),
        kind="practice",
        name="Second Studio",
        country="NL",
    )
    assert membership_of(world.dentist, organization).role == "owner"
    assert membership_of(world.dentist, world.practice).role == "dentist"


@pytest.mark.parametrize("kind", ["platform", "hospital", ""])
def test_only_a_practice_or_a_lab_can_be_founded(world, kind):
    before = Organization.objects.count()
    with pytest.raises(ValidationFailed) as info:
        services.organization_create(
            actor=acting(world.newcomer), kind=kind, name="Operator Two", country="NL"
        )
    assert list(info.value.fields) == ["kind"]
    assert Organization.objects.count() == before
    assert not Membership.objects.filter(user=world.newcomer).exists()
    assert not AuditEvent.objects.exists()


def test_anonymous_cannot_found_an_organization(world):
    with pytest.raises(Forbidden):
        services.organization_create(
            actor=Principal(user=None), kind="practice", name="Ghost Studio", country="NL"
        )


def test_organization_create_requires_a_name_and_a_known_country(world):
    with pytest.raises(ValidationFailed) as info:
        services.organization_create(
            actor=acting(world.newcomer), kind="practice", name="", country="ZZ"
        )
    assert {"name", "country"} <= set(info.value.fields)
    assert not Membership.objects.filter(user=world.newcomer).exists()


def test_organization_create_ignores_fields_that_are_not_editable(world):
    organization = services.organization_create(
        actor=acting(world.newcomer),
        kind="practice",
        name="Plain Studio",
        country="NL",
        public_id=uuid.UUID(int=7),
    )
    assert organization.public_id != uuid.UUID(int=7)


# --- organization_update -------------------------------------------------------------------------


def test_owner_updates_the_practice_and_the_change_is_audited_with_field_names(world):
    services.organization_update(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        name="Smile Studio Utrecht",
        city="Utrecht",  # unchanged: not listed
        postal_code="3511 AB",
        vat_number="NL004495445B01",
    )
    world.practice.refresh_from_db()
    assert (world.practice.name, world.practice.postal_code, world.practice.vat_number) == (
        "Smile Studio Utrecht",
        "3511 AB",
        "NL004495445B01",
    )
    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_UPDATED)
    assert event.data == {"fields": "name,postal_code,vat_number"}
    assert event.organization_id == world.practice.public_id
    assert event.actor_id == world.owner.public_id


def test_lab_manager_updates_the_lab(world):
    services.organization_update(
        actor=acting(world.manager, world.lab),
        organization_id=world.lab.public_id,
        billing_email="billing@lab.example",
    )
    world.lab.refresh_from_db()
    assert world.lab.billing_email == "billing@lab.example"


def test_update_without_a_change_writes_no_audit_event(world):
    services.organization_update(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        name="Smile Studio",
        city="Utrecht",
    )
    assert not AuditEvent.objects.exists()


def test_update_cannot_change_the_kind_of_an_organization(world):
    services.organization_update(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        kind="platform",
    )
    world.practice.refresh_from_db()
    assert world.practice.kind == "practice"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("persona", "org"),
    [
        ("assistant", "practice"),
        ("dentist", "practice"),
        ("technician", "lab"),
        ("designer", "lab"),
    ],
)
def test_staff_without_edit_permission_cannot_update_the_organization(world, persona, org):
    organization = getattr(world, org)
    with pytest.raises(Forbidden):
        services.organization_update(
            actor=acting(getattr(world, persona), organization),
            organization_id=organization.public_id,
            name="Hijacked",
        )
    organization.refresh_from_db()
    assert organization.name != "Hijacked"
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("target", ["other_practice", "lab", "missing"])
def test_owner_cannot_update_another_tenant_or_a_missing_organization(world, target):
    organization_id = uuid.uuid4() if target == "missing" else getattr(world, target).public_id
    with pytest.raises(NotFound):
        services.organization_update(
            actor=acting(world.owner, world.practice),
            organization_id=organization_id,
            name="Hijacked",
        )
    assert not Organization.objects.filter(name="Hijacked").exists()


def test_member_of_two_organizations_updates_only_the_one_they_act_for(world):
    Membership.objects.create(user=world.owner, organization=world.lab, role="technician")
    with pytest.raises(NotFound):
        services.organization_update(
            actor=acting(world.owner, world.practice),
            organization_id=world.lab.public_id,
            name="Hijacked",
        )
    with pytest.raises(Forbidden):
        services.organization_update(
            actor=acting(world.owner, world.lab),
            organization_id=world.lab.public_id,
            name="Hijacked",
        )


# --- Memberships ---------------------------------------------------------------------------------


def test_owner_changes_a_members_role_and_it_is_audited(world):
    assistant = membership_of(world.assistant, world.practice)
    changed = services.membership_change_role(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        membership_id=assistant.public_id,
        role="dentist",
    )
    assert changed.role == "dentist"
    assistant.refresh_from_db()
    assert assistant.role == "dentist"
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_ROLE_CHANGED)
    assert event.data == {
        "from": "assistant",
        "to": "dentist",
        "user": str(world.assistant.public_id),
    }
    assert event.organization_id == world.practice.public_id


def test_role_change_to_a_role_of_another_kind_of_organization_is_refused(world):
    assistant = membership_of(world.assistant, world.practice)
    with pytest.raises(ValidationFailed) as info:
        services.membership_change_role(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            membership_id=assistant.public_id,
            role="manager",
        )
    assert list(info.value.fields) == ["role"]
    assistant.refresh_from_db()
    assert assistant.role == "assistant"


@pytest.mark.parametrize(("persona", "org"), [("dentist", "practice"), ("technician", "lab")])
def test_staff_cannot_change_roles(world, persona, org):
    organization = getattr(world, org)
    target = Membership.objects.filter(organization=organization).exclude(role=persona).first()
    previous = target.role
    with pytest.raises(Forbidden):
        services.membership_change_role(
            actor=acting(getattr(world, persona), organization),
            organization_id=organization.public_id,
            membership_id=target.public_id,
            role="owner" if org == "practice" else "manager",
        )
    target.refresh_from_db()
    assert target.role == previous


def test_member_of_another_organization_is_not_found(world):
    other = membership_of(world.other_owner, world.other_practice)
    with pytest.raises(NotFound):
        services.membership_change_role(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            membership_id=other.public_id,
            role="assistant",
        )
    with pytest.raises(NotFound):
        services.membership_remove(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            membership_id=other.public_id,
        )
    assert Membership.objects.filter(pk=other.pk, role="owner").exists()


@pytest.mark.parametrize(
    ("persona", "org", "demote_to"),
    [
        ("owner", "practice", "dentist"),
        ("manager", "lab", "technician"),
    ],
)
def test_last_owner_or_manager_cannot_be_demoted(world, persona, org, demote_to):
    organization = getattr(world, org)
    last = membership_of(getattr(world, persona), organization)
    with pytest.raises(Conflict, match="at least one"):
        services.membership_change_role(
            actor=acting(getattr(world, persona), organization),
            organization_id=organization.public_id,
            membership_id=last.public_id,
            role=demote_to,
        )
    last.refresh_from_db()
    assert last.role == persona
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("persona", "org"), [("owner", "practice"), ("manager", "lab")])
def test_last_owner_or_manager_cannot_be_removed(world, persona, org):
    organization = getattr(world, org)
    last = membership_of(getattr(world, persona), organization)
    with pytest.raises(Conflict, match="at least one"):
        services.membership_remove(
            actor=acting(getattr(world, persona), organization),
            organization_id=organization.public_id,
            membership_id=last.public_id,
        )
    assert Membership.objects.filter(pk=last.pk).exists()
    assert not AuditEvent.objects.exists()


def test_an_owner_may_step_down_once_there_is_another_owner(world):
    services.membership_change_role(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        membership_id=membership_of(world.dentist, world.practice).public_id,
        role="owner",
    )
    services.membership_change_role(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        membership_id=membership_of(world.owner, world.practice).public_id,
        role="dentist",
    )
    assert membership_of(world.owner, world.practice).role == "dentist"
    # And now the dentist-turned-owner is the last one.
    with pytest.raises(Conflict):
        services.membership_remove(
            actor=acting(world.dentist, world.practice),
            organization_id=world.practice.public_id,
            membership_id=membership_of(world.dentist, world.practice).public_id,
        )


def test_owner_removes_a_member_and_it_is_audited(world):
    assistant = membership_of(world.assistant, world.practice)
    services.membership_remove(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        membership_id=assistant.public_id,
    )
    assert not Membership.objects.filter(pk=assistant.pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.MEMBER_REMOVED)
    assert event.data == {"user": str(world.assistant.public_id), "role": "assistant"}
    assert event.target_id == str(assistant.public_id)
    assert event.organization_id == world.practice.public_id


def test_removing_a_member_revokes_their_api_tokens_for_that_organization_only(world):
    Membership.objects.create(user=world.assistant, organization=world.lab, role="technician")
    here = api_token_create(
        actor=acting(world.assistant, world.practice), name="Scanner", valid_days=30
    ).token
    there = api_token_create(
        actor=acting(world.assistant, world.lab), name="Milling", valid_days=30
    ).token
    colleague = api_token_create(
        actor=acting(world.dentist, world.practice), name="Dan's", valid_days=30
    ).token
    services.membership_remove(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        membership_id=membership_of(world.assistant, world.practice).public_id,
    )
    revoked = {t.name: t.revoked_at is not None for t in ApiToken.objects.all()}
    assert revoked == {here.name: True, there.name: False, colleague.name: False}


def test_removing_a_member_keeps_the_time_an_already_revoked_token_was_revoked(world):
    token = api_token_create(
        actor=acting(world.assistant, world.practice), name="Scanner", valid_days=30
    ).token
    earlier = timezone.now() - timedelta(days=1)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=earlier)
    services.membership_remove(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        membership_id=membership_of(world.assistant, world.practice).public_id,
    )
    token.refresh_from_db()
    assert token.revoked_at == earlier


def test_platform_dpo_manages_platform_members_only(world):
    support = make_user("sue.support@platform.example", "Sue Support")
    membership = Membership.objects.create(
        user=support, organization=world.platform, role="support"
    )
    services.membership_remove(
        actor=acting(world.dpo, world.platform),
        organization_id=world.platform.public_id,
        membership_id=membership.public_id,
    )
    assert not Membership.objects.filter(pk=membership.pk).exists()
    with pytest.raises(NotFound):
        services.membership_remove(
            actor=acting(world.dpo, world.platform),
            organization_id=world.practice.public_id,
            membership_id=membership_of(world.assistant, world.practice).public_id,
        )


def test_resending_the_same_vat_number_in_another_spelling_is_not_a_change(world):
    actor = acting(world.owner, world.practice)
    services.organization_update(
        actor=actor, organization_id=world.practice.public_id, vat_number="NL004495445B01"
    )
    services.organization_update(
        actor=actor, organization_id=world.practice.public_id, vat_number="004495445B01"
    )
    assert AuditEvent.objects.filter(action=AuditAction.ORGANIZATION_UPDATED).count() == 1


# --- Concurrency (PostgreSQL: real concurrent transactions) --------------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(world, monkeypatch):
    Membership.objects.filter(user=world.dentist).update(role="owner")
    first = membership_of(world.owner, world.practice)
    second = membership_of(world.dentist, world.practice)
    both_inside = threading.Barrier(2)
    lock_admins = services._lock_admins

    def wait_then_lock(*args, **kwargs):
        # Both transactions are open before either checks: only the row locks can order them.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_inside.wait(timeout=3)
        return lock_admins(*args, **kwargs)

    monkeypatch.setattr(services, "_lock_admins", wait_then_lock)
    outcomes = []

    def demote(actor_membership, target):
        try:
            services.membership_change_role(
                actor=Principal(user=actor_membership.user, membership=actor_membership),
                organization_id=world.practice.public_id,
                membership_id=target.public_id,
                role="dentist",
            )
            outcomes.append("demoted")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first, second)),
        threading.Thread(target=demote, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "demoted"]
    assert Membership.objects.filter(organization=world.practice, role="owner").count() == 1
