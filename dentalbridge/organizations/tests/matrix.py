"""Authorization-matrix rows of organizations: organizations, members, invitations, lab
connections, the audit log.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from dentalbridge.organizations.models import LabConnection, Membership
from dentalbridge.privacy.principal import Principal
from tests.matrix import NA, Case


def practice(w):
    return {"organization_id": w.practice.public_id}


def lab(w):
    return {"organization_id": w.lab.public_id}


def member_of_practice(w):
    assistant = Membership.objects.get(user=w.assistant)
    return {"organization_id": w.practice.public_id, "membership_id": assistant.public_id}


def invitation(w):
    from dentalbridge.organizations.services import invitation_create

    owner = Principal(user=w.owner, membership=Membership.objects.get(user=w.owner))
    inv = invitation_create(
        actor=owner, organization_id=w.practice.public_id, email="inv@x.example", role="assistant"
    )
    return {"organization_id": w.practice.public_id, "invitation_id": inv.public_id}


def pending_connection(w):
    link = LabConnection.objects.create(practice=w.practice, lab=w.lab, requested_by=w.owner)
    return {"organization_id": w.lab.public_id, "connection_id": link.public_id}


def accepted_connection_for_practice(w):
    link = LabConnection.objects.create(
        practice=w.practice, lab=w.lab, requested_by=w.owner, status="accepted"
    )
    return {"organization_id": w.practice.public_id, "connection_id": link.public_id}


def invitation_token(w):
    return {"token": "no-such-invitation-token"}


ALL_MEMBERS = NA("every member of the organization may view it")


ROWS: dict[str, Case] = {
    "organizations/new/": Case(right=("owner", 200), other=NA("creates a new tenant")),
    "organizations/switch/": Case(
        method="post",
        data=lambda w: {"membership": str(Membership.objects.get(user=w.owner).public_id)},
        right=("owner", 302),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/": Case(
        kwargs=practice, right=("assistant", 200), wrong=ALL_MEMBERS, other=("other_owner", 404)
    ),
    "organizations/<uuid:organization_id>/edit/": Case(
        kwargs=practice, right=("owner", 200), wrong=("assistant", 403), other=("other_owner", 404)
    ),
    "organizations/<uuid:organization_id>/members/": Case(
        kwargs=lab, right=("technician", 200), wrong=("designer", 403), other=("other_manager", 404)
    ),
    "organizations/<uuid:organization_id>/members/<uuid:membership_id>/": Case(
        method="post",
        kwargs=member_of_practice,
        data=lambda w: {"role": "dentist"},
        right=("owner", 302),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/members/<uuid:membership_id>/remove/": Case(
        method="post",
        kwargs=member_of_practice,
        right=("owner", 302),
        wrong=("assistant", 403),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/invitations/": Case(
        method="post",
        kwargs=practice,
        data=lambda w: {"email": "new.person@x.example", "role": "assistant"},
        right=("owner", 302),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/invitations/<uuid:invitation_id>/revoke/": Case(
        method="post",
        kwargs=invitation,
        right=("owner", 302),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/connections/": Case(
        kwargs=practice, right=("dentist", 200), other=("other_owner", 404), wrong=NA("n/a")
    ),
    "organizations/<uuid:organization_id>/connections/<uuid:connection_id>/": Case(
        method="post",
        kwargs=pending_connection,
        data=lambda w: {"decision": "accept"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "organizations/<uuid:organization_id>/audit/": Case(
        kwargs=practice, right=("owner", 200), wrong=("assistant", 403), other=("other_owner", 404)
    ),
    "invitations/<str:token>/": Case(
        kwargs=invitation_token, right=("newcomer", 404), other=NA("the token is the key")
    ),
    "api/v1/organizations/": Case(
        api=True, right=("designer", 200), anon=401, other=NA("lists only one's own")
    ),
    "api/v1/organizations/<uuid:organization_id>/": Case(
        api=True,
        method="patch",
        kwargs=practice,
        data=lambda w: {"city": "Amersfoort"},
        right=("owner", 200),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/members/": Case(
        api=True,
        kwargs=lab,
        right=("technician", 200),
        wrong=("designer", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/members/<uuid:membership_id>/": Case(
        api=True,
        method="patch",
        kwargs=member_of_practice,
        data=lambda w: {"role": "dentist"},
        right=("owner", 200),
        wrong=("dentist", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/invitations/": Case(
        api=True,
        method="post",
        kwargs=practice,
        data=lambda w: {"email": "api.person@x.example", "role": "assistant"},
        right=("owner", 201),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/invitations/<uuid:invitation_id>/": Case(
        api=True,
        method="delete",
        kwargs=invitation,
        right=("owner", 204),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/connections/": Case(
        api=True,
        method="post",
        kwargs=practice,
        data=lambda w: {"lab": str(w.lab.public_id)},
        right=("owner", 201),
        wrong=("dentist", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/connections/<uuid:connection_id>/": Case(
        api=True,
        method="patch",
        kwargs=accepted_connection_for_practice,
        data=lambda w: {"decision": "end"},
        right=("owner", 200),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/audit-events/": Case(
        api=True,
        kwargs=practice,
        right=("owner", 200),
        wrong=("dentist", 403),
        other=("other_owner", 404),
        anon=401,
    ),
}
