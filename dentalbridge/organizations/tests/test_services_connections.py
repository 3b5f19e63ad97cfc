"""Lab connections (ACC-2): a practice's owner asks a lab; the lab's manager accepts or declines;
either side ends an accepted link. Nobody else sees or answers it."""

import uuid

import pytest

from conftest import acting
from dentalbridge.core.errors import Conflict, Forbidden, NotFound
from dentalbridge.organizations import access, selectors, services
from dentalbridge.organizations.models import ConnectionStatus, LabConnection
from dentalbridge.privacy.audit import AuditAction
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def request_link(world, message="We mill zirconia crowns weekly.") -> LabConnection:
    return services.lab_connection_request(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        lab_id=world.lab.public_id,
        message=message,
    )


def respond(world, link, accept: bool, persona="manager") -> LabConnection:
    return services.lab_connection_respond(
        actor=acting(getattr(world, persona), world.lab),
        organization_id=world.lab.public_id,
        connection_id=link.public_id,
        accept=accept,
    )


def test_practice_owner_requests_a_lab_and_the_request_is_pending(world):
    link = request_link(world)
    link.refresh_from_db()
    assert (link.practice, link.lab, link.status) == (
        world.practice,
        world.lab,
        ConnectionStatus.PENDING,
    )
    assert link.requested_by == world.owner
    assert link.message == "We mill zirconia crowns weekly."
    event = AuditEvent.objects.get(action=AuditAction.CONNECTION_REQUESTED)
    assert event.organization_id == world.practice.public_id
    assert event.data == {"lab": str(world.lab.public_id)}


def test_lab_sees_the_request_and_the_practice_sees_its_link(world):
    link = request_link(world)
    lab_side = access.connections_query(acting(world.technician, world.lab), world.lab.public_id)
    practice_side = access.connections_query(
        acting(world.dentist, world.practice), world.practice.public_id
    )
    assert list(lab_side) == [link]
    assert list(practice_side) == [link]


def test_lab_manager_accepts_the_request(world):
    link = respond(world, request_link(world), accept=True)
    link.refresh_from_db()
    assert link.status == ConnectionStatus.ACCEPTED
    assert link.responded_by == world.manager
    assert link.responded_at is not None
    event = AuditEvent.objects.get(action=AuditAction.CONNECTION_ACCEPTED)
    assert event.organization_id == world.lab.public_id
    assert event.data == {"practice": str(world.practice.public_id)}


def test_lab_manager_declines_the_request(world):
    link = respond(world, request_link(world), accept=False)
    link.refresh_from_db()
    assert link.status == ConnectionStatus.DECLINED
    assert AuditEvent.objects.filter(action=AuditAction.CONNECTION_DECLINED).count() == 1


def test_answered_request_cannot_be_answered_again(world):
    link = respond(world, request_link(world), accept=False)
    with pytest.raises(Conflict):
        respond(world, link, accept=True)
    link.refresh_from_db()
    assert link.status == ConnectionStatus.DECLINED


@pytest.mark.parametrize("persona", ["dentist", "assistant"])
def test_practice_staff_without_connection_request_permission_are_forbidden(world, persona):
    with pytest.raises(Forbidden):
        services.lab_connection_request(
            actor=acting(getattr(world, persona), world.practice),
            organization_id=world.practice.public_id,
            lab_id=world.lab.public_id,
        )
    assert not LabConnection.objects.exists()


def test_a_lab_cannot_request_a_connection(world):
    with pytest.raises(Forbidden):
        services.lab_connection_request(
            actor=acting(world.manager, world.lab),
            organization_id=world.lab.public_id,
            lab_id=world.other_lab.public_id,
        )


@pytest.mark.parametrize("target", ["other_practice", "platform", "missing"])
def test_practice_can_only_request_an_existing_lab(world, target):
    lab_id = uuid.uuid4() if target == "missing" else getattr(world, target).public_id
    with pytest.raises(NotFound):
        services.lab_connection_request(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            lab_id=lab_id,
        )
    assert not LabConnection.objects.exists()


def test_owner_cannot_request_for_a_practice_they_do_not_act_for(world):
    with pytest.raises(NotFound):
        services.lab_connection_request(
            actor=acting(world.owner, world.practice),
            organization_id=world.other_practice.public_id,
            lab_id=world.lab.public_id,
        )


def test_lab_technician_cannot_respond(world):
    link = request_link(world)
    with pytest.raises(Forbidden):
        respond(world, link, accept=True, persona="technician")
    link.refresh_from_db()
    assert link.status == ConnectionStatus.PENDING


def test_lab_designer_can_neither_see_nor_respond(world):
    link = request_link(world)
    designer = acting(world.designer, world.lab)
    with pytest.raises(Forbidden):
        access.connections_query(designer, world.lab.public_id)
    with pytest.raises(Forbidden):
        respond(world, link, accept=True, persona="designer")


def test_practice_cannot_accept_its_own_request(world):
    link = request_link(world)
    with pytest.raises(Forbidden):
        services.lab_connection_respond(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            connection_id=link.public_id,
            accept=True,
        )
    link.refresh_from_db()
    assert link.status == ConnectionStatus.PENDING


def test_other_lab_can_neither_see_nor_respond_to_the_request(world):
    link = request_link(world)
    other = acting(world.other_manager, world.other_lab)
    assert not access.connections_query(other, world.other_lab.public_id).exists()
    with pytest.raises(NotFound):
        services.lab_connection_respond(
            actor=other,
            organization_id=world.other_lab.public_id,
            connection_id=link.public_id,
            accept=True,
        )
    with pytest.raises(NotFound):
        services.lab_connection_respond(
            actor=other,
            organization_id=world.lab.public_id,
            connection_id=link.public_id,
            accept=True,
        )
    with pytest.raises(NotFound):
        services.lab_connection_end(
            actor=other, organization_id=world.other_lab.public_id, connection_id=link.public_id
        )
    link.refresh_from_db()
    assert link.status == ConnectionStatus.PENDING


def test_other_practice_cannot_see_or_end_the_link(world):
    link = respond(world, request_link(world), accept=True)
    other = acting(world.other_owner, world.other_practice)
    assert not access.connections_query(other, world.other_practice.public_id).exists()
    with pytest.raises(NotFound):
        services.lab_connection_end(
            actor=other,
            organization_id=world.other_practice.public_id,
            connection_id=link.public_id,
        )


@pytest.mark.parametrize("answer", [None, True])
def test_duplicate_request_while_pending_or_connected_is_a_conflict(world, answer):
    link = request_link(world)
    if answer is not None:
        respond(world, link, accept=answer)
    with pytest.raises(Conflict):
        request_link(world, message="Again?")
    link.refresh_from_db()
    assert link.message == "We mill zirconia crowns weekly."
    assert LabConnection.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CONNECTION_REQUESTED).count() == 1


def test_request_again_after_a_decline_reopens_the_same_link(world):
    link = respond(world, request_link(world), accept=False)
    again = request_link(world, message="Second try: we now scan digitally.")
    assert again.pk == link.pk
    again.refresh_from_db()
    assert again.status == ConnectionStatus.PENDING
    assert again.message == "Second try: we now scan digitally."
    assert (again.responded_by, again.responded_at) == (None, None)
    assert AuditEvent.objects.filter(action=AuditAction.CONNECTION_REQUESTED).count() == 2
    respond(world, again, accept=True)
    again.refresh_from_db()
    assert again.status == ConnectionStatus.ACCEPTED


@pytest.mark.parametrize(("persona", "org"), [("owner", "practice"), ("manager", "lab")])
def test_either_side_ends_an_accepted_link(world, persona, org):
    link = respond(world, request_link(world), accept=True)
    organization = getattr(world, org)
    services.lab_connection_end(
        actor=acting(getattr(world, persona), organization),
        organization_id=organization.public_id,
        connection_id=link.public_id,
    )
    link.refresh_from_db()
    assert link.status == ConnectionStatus.ENDED
    event = AuditEvent.objects.get(action=AuditAction.CONNECTION_ENDED)
    assert event.organization_id == organization.public_id
    with pytest.raises(Conflict):
        services.lab_connection_end(
            actor=acting(getattr(world, persona), organization),
            organization_id=organization.public_id,
            connection_id=link.public_id,
        )


@pytest.mark.parametrize(("persona", "org"), [("dentist", "practice"), ("technician", "lab")])
def test_staff_cannot_end_a_link(world, persona, org):
    link = respond(world, request_link(world), accept=True)
    organization = getattr(world, org)
    with pytest.raises(Forbidden):
        services.lab_connection_end(
            actor=acting(getattr(world, persona), organization),
            organization_id=organization.public_id,
            connection_id=link.public_id,
        )
    link.refresh_from_db()
    assert link.status == ConnectionStatus.ACCEPTED


def test_request_again_after_the_link_ended(world):
    link = respond(world, request_link(world), accept=True)
    services.lab_connection_end(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        connection_id=link.public_id,
    )
    again = request_link(world)
    again.refresh_from_db()
    assert (again.pk, again.status) == (link.pk, ConnectionStatus.PENDING)


# --- The lab directory ---------------------------------------------------------------------------


def test_lab_directory_lists_labs_only_and_finds_them_by_name_or_city(world):
    assert list(selectors.lab_directory()) == [world.other_lab, world.lab]
    assert list(selectors.lab_directory(search="precision")) == [world.lab]
    assert list(selectors.lab_directory(search="cluj")) == [world.other_lab]
    assert list(selectors.lab_directory(search="Smile")) == []


def test_lab_directory_hides_labs_the_practice_is_connected_to_or_waiting_for(world):
    link = request_link(world)
    assert list(selectors.lab_directory(exclude_connected_to=world.practice)) == [world.other_lab]
    respond(world, link, accept=True)
    assert list(selectors.lab_directory(exclude_connected_to=world.practice)) == [world.other_lab]
    # Another practice still sees the lab.
    assert world.lab in selectors.lab_directory(exclude_connected_to=world.other_practice)


def test_lab_directory_offers_a_lab_again_after_it_declined(world):
    respond(world, request_link(world), accept=False)
    assert world.lab in selectors.lab_directory(exclude_connected_to=world.practice)


def test_lab_that_declined_stays_offered_even_when_it_works_with_other_practices(world):
    respond(world, request_link(world), accept=False)
    services.lab_connection_request(
        actor=acting(world.other_owner, world.other_practice),
        organization_id=world.other_practice.public_id,
        lab_id=world.lab.public_id,
    )
    assert world.lab in selectors.lab_directory(exclude_connected_to=world.practice)
