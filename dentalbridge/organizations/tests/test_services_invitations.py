"""Invitations (ACC-2): an e-mailed link that works once, before it expires, for the invited
address only; every refusal is audited."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for, make_user
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.organizations import services
from dentalbridge.organizations.models import Invitation, InvitationStatus, Membership
from dentalbridge.organizations.services import InvitationUnusable
from dentalbridge.privacy.audit import AuditAction, AuditOutcome
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


INVITEE = "nina.new@newcomer.example"
LINK = re.compile(r"https?://[^\s\"<>]+/invitations/([A-Za-z0-9_\-]+)/")


def invite(world, capture, email=INVITEE, role="assistant"):
    """Invite as the practice owner; return (invitation, token from the e-mailed link)."""
    sent_before = len(mail.outbox)
    with capture(execute=True):
        invitation = services.invitation_create(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            email=email,
            role=role,
        )
    assert len(mail.outbox) == sent_before + 1
    return invitation, LINK.search(mail.outbox[-1].body).group(1)


def refusals():
    return AuditEvent.objects.filter(action=AuditAction.INVITATION_REFUSED)


def test_invitation_sends_one_email_to_the_invitee_with_an_accept_link(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            email="  Nina.New@Newcomer.example ",
            role="assistant",
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [INVITEE]
    assert "Smile Studio" in message.subject
    token = LINK.search(message.body).group(1)
    assert settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token}) in message.body
    # Only the hash of the secret is stored.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert invitation.email == INVITEE
    assert invitation.status == InvitationStatus.PENDING
    valid_for = invitation.expires_at - invitation.created_at
    assert abs(valid_for - settings.INVITATION_VALID_FOR) < timedelta(seconds=5)
    sent = AuditEvent.objects.get(action=AuditAction.INVITATION_SENT)
    assert sent.organization_id == world.practice.public_id
    assert sent.target_id == str(invitation.public_id)


def test_no_email_is_sent_when_the_invitation_is_refused(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationFailed):
        services.invitation_create(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            email="not-an-address",
            role="assistant",
        )
    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_invited_user_accepts_and_becomes_a_member_with_the_role(
    world, django_capture_on_commit_callbacks
):
    invitation, token = invite(world, django_capture_on_commit_callbacks, role="dentist")
    membership = services.invitation_accept(actor=acting(world.newcomer), token=token)
    assert (membership.user, membership.organization, membership.role) == (
        world.newcomer,
        world.practice,
        "dentist",
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_by == world.newcomer
    accepted = AuditEvent.objects.get(action=AuditAction.INVITATION_ACCEPTED)
    assert accepted.actor_id == world.newcomer.public_id
    assert accepted.organization_id == world.practice.public_id
    assert accepted.data == {"role": "dentist"}


def test_accepting_is_case_insensitive_on_the_address(world, django_capture_on_commit_callbacks):
    _, token = invite(world, django_capture_on_commit_callbacks, email="Nina.NEW@newcomer.example")
    membership = services.invitation_accept(actor=acting(world.newcomer), token=token)
    assert membership.organization == world.practice


def test_reused_invitation_link_is_refused(world, django_capture_on_commit_callbacks):
    _, token = invite(world, django_capture_on_commit_callbacks)
    services.invitation_accept(actor=acting(world.newcomer), token=token)
    with pytest.raises(InvitationUnusable, match="already been used"):
        services.invitation_accept(actor=acting(world.newcomer), token=token)
    assert Membership.objects.filter(user=world.newcomer).count() == 1


def test_expired_invitation_is_refused(world, django_capture_on_commit_callbacks):
    _, token = invite(world, django_capture_on_commit_callbacks)
    later = timezone.now() + settings.INVITATION_VALID_FOR + timedelta(minutes=1)
    with time_machine.travel(later, tick=False), pytest.raises(InvitationUnusable, match="expired"):
        services.invitation_accept(actor=acting(world.newcomer), token=token)
    assert not Membership.objects.filter(user=world.newcomer).exists()


def test_invitation_just_before_expiry_still_works(world, django_capture_on_commit_callbacks):
    _, token = invite(world, django_capture_on_commit_callbacks)
    almost = timezone.now() + settings.INVITATION_VALID_FOR - timedelta(minutes=1)
    with time_machine.travel(almost, tick=False):
        services.invitation_accept(actor=acting(world.newcomer), token=token)
    assert Membership.objects.filter(user=world.newcomer, organization=world.practice).exists()


def test_revoked_invitation_is_refused(world, django_capture_on_commit_callbacks):
    invitation, token = invite(world, django_capture_on_commit_callbacks)
    services.invitation_revoke(
        actor=acting(world.owner, world.practice),
        organization_id=world.practice.public_id,
        invitation_id=invitation.public_id,
    )
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_REVOKED).count() == 1
    with pytest.raises(InvitationUnusable, match="withdrawn"):
        services.invitation_accept(actor=acting(world.newcomer), token=token)
    assert not Membership.objects.filter(user=world.newcomer).exists()


def test_invitation_accepted_by_a_different_address_is_refused(
    world, django_capture_on_commit_callbacks
):
    invitation, token = invite(world, django_capture_on_commit_callbacks)
    stranger = make_user("sam.stranger@elsewhere.example", "Sam Stranger")
    with pytest.raises(InvitationUnusable, match="another e-mail address"):
        services.invitation_accept(actor=acting(stranger), token=token)
    assert not Membership.objects.filter(user=stranger).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    # The invited person can still use it.
    services.invitation_accept(actor=acting(world.newcomer), token=token)


def test_unknown_invitation_token_is_not_found(world):
    with pytest.raises(NotFound):
        services.invitation_accept(actor=acting(world.newcomer), token="no-such-token")


def _use_then_refuse(world, capture, how):
    invitation, token = invite(world, capture)
    actor = acting(world.newcomer)
    if how == "used":
        services.invitation_accept(actor=actor, token=token)
    elif how == "revoked":
        services.invitation_revoke(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            invitation_id=invitation.public_id,
        )
    elif how == "other address":
        actor = acting(make_user("sam.stranger@elsewhere.example", "Sam Stranger"))
    when = timezone.now()
    if how == "expired":
        when += settings.INVITATION_VALID_FOR + timedelta(minutes=1)
    with time_machine.travel(when, tick=False), pytest.raises(InvitationUnusable):
        services.invitation_accept(actor=actor, token=token)
    return invitation, actor


@pytest.mark.parametrize("how", ["used", "expired", "revoked", "other address"])
def test_each_refusal_writes_an_invitation_refused_event_with_outcome_denied(
    world, django_capture_on_commit_callbacks, how
):
    invitation, actor = _use_then_refuse(world, django_capture_on_commit_callbacks, how)
    event = refusals().get()
    assert event.outcome == AuditOutcome.DENIED
    assert event.actor_id == actor.user.public_id
    assert event.organization_id == world.practice.public_id
    assert event.target_id == str(invitation.public_id)


def test_second_invitation_to_the_same_address_revokes_the_first(
    world, django_capture_on_commit_callbacks
):
    first, first_token = invite(world, django_capture_on_commit_callbacks, role="assistant")
    second, second_token = invite(world, django_capture_on_commit_callbacks, role="dentist")
    first.refresh_from_db()
    assert first.status == InvitationStatus.REVOKED
    assert second.status == InvitationStatus.PENDING
    with pytest.raises(InvitationUnusable, match="withdrawn"):
        services.invitation_accept(actor=acting(world.newcomer), token=first_token)
    membership = services.invitation_accept(actor=acting(world.newcomer), token=second_token)
    assert membership.role == "dentist"


def test_inviting_an_existing_member_is_a_conflict(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Conflict) as info,
    ):
        services.invitation_create(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            email="DAN.DENTIST@smile.example",
            role="assistant",
        )
    assert info.value.code == "already_member"
    assert mail.outbox == []
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(("org", "role"), [("practice", "technician"), ("lab", "owner")])
def test_role_that_does_not_exist_in_that_kind_of_organization_is_refused(world, org, role):
    admin = world.owner if org == "practice" else world.manager
    organization = getattr(world, org)
    with pytest.raises(ValidationFailed) as info:
        services.invitation_create(
            actor=acting(admin, organization),
            organization_id=organization.public_id,
            email=INVITEE,
            role=role,
        )
    assert list(info.value.fields) == ["role"]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["assistant", "dentist"])
def test_staff_without_invitation_permission_cannot_invite(world, persona):
    with pytest.raises(Forbidden):
        services.invitation_create(
            actor=acting(getattr(world, persona), world.practice),
            organization_id=world.practice.public_id,
            email=INVITEE,
            role="assistant",
        )
    assert not Invitation.objects.exists()


def test_technician_cannot_invite_to_the_lab(world):
    with pytest.raises(Forbidden):
        services.invitation_create(
            actor=acting(world.technician, world.lab),
            organization_id=world.lab.public_id,
            email=INVITEE,
            role="technician",
        )


def test_owner_of_another_practice_cannot_invite_to_this_one(world):
    with pytest.raises(NotFound):
        services.invitation_create(
            actor=acting(world.other_owner, world.other_practice),
            organization_id=world.practice.public_id,
            email=INVITEE,
            role="assistant",
        )
    assert not Invitation.objects.exists()


def test_other_practice_cannot_revoke_this_practices_invitation(
    world, django_capture_on_commit_callbacks
):
    invitation, _ = invite(world, django_capture_on_commit_callbacks)
    with pytest.raises(NotFound):
        services.invitation_revoke(
            actor=acting(world.other_owner, world.other_practice),
            organization_id=world.other_practice.public_id,
            invitation_id=invitation.public_id,
        )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_revoking_an_accepted_invitation_is_a_conflict(world, django_capture_on_commit_callbacks):
    invitation, token = invite(world, django_capture_on_commit_callbacks)
    services.invitation_accept(actor=acting(world.newcomer), token=token)
    with pytest.raises(Conflict):
        services.invitation_revoke(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            invitation_id=invitation.public_id,
        )


# --- The HTML flow -------------------------------------------------------------------------------


def test_invitation_page_shows_the_offer_and_post_accepts_it(
    world, django_capture_on_commit_callbacks
):
    _, token = invite(world, django_capture_on_commit_callbacks, role="dentist")
    client = client_for(world.newcomer)
    url = reverse("invitation_accept", kwargs={"token": token})

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Join Smile Studio" in html
    assert "Olivia Owner" in html
    assert "Accept invitation" in html
    assert not Membership.objects.filter(user=world.newcomer).exists()

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "organization_detail", kwargs={"organization_id": world.practice.public_id}
    )
    membership = Membership.objects.get(user=world.newcomer)
    assert (membership.organization, membership.role) == (world.practice, "dentist")
    assert client.session["dentalbridge_active_membership"] == str(membership.public_id)

    again = client.post(url)
    assert again.status_code == 410
    assert "This invitation has already been used." in again.content.decode()
    assert Membership.objects.filter(user=world.newcomer).count() == 1


def test_invitation_page_for_an_unknown_token_is_404(world):
    response = client_for(world.newcomer).get(
        reverse("invitation_accept", kwargs={"token": "no-such-token"})
    )
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_invitation_page_requires_sign_in(world, django_capture_on_commit_callbacks):
    _, token = invite(world, django_capture_on_commit_callbacks)
    url = reverse("invitation_accept", kwargs={"token": token})
    response = client_for(None).post(url)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Membership.objects.filter(user=world.newcomer).exists()


def test_invitation_page_post_by_another_address_is_refused_with_410(
    world, django_capture_on_commit_callbacks
):
    _, token = invite(world, django_capture_on_commit_callbacks)
    stranger = make_user("sam.stranger@elsewhere.example", "Sam Stranger", mfa=False)
    response = client_for(stranger).post(reverse("invitation_accept", kwargs={"token": token}))
    assert response.status_code == 410
    assert "another e-mail address" in response.content.decode()
    assert not Membership.objects.filter(user=stranger).exists()
