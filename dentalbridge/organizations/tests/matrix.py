"""Authorization-matrix rows of organizations: organizations, members, invitations, lab
connections, the audit log.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from dentalbridge.organizations.models import LabConnection, Membership
from dentalbridge.privacy.principal import Principal
from tests.matrix import NA, NOT_ASSISTANT, NOT_DENTIST, NOT_TECHNICIAN, Case, Others


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
# A lab's members: its designer may not see them (403); another lab's manager gets 404.
NOT_DESIGNER = Others(wrong=("designer", 403), other=("other_manager", 404))


ORG = "organizations/<uuid:organization_id>"  # the prefix of its routes, as in urls.py

ROWS: dict[str, Case] = {
    "organizations/new/": Case(right=("owner", 200), other=NA("creates a new tenant")),
    "organizations/switch/": Case(
        method="post",
        data=lambda w: {"membership": str(Membership.objects.get(user=w.owner).public_id)},
        right=("owner", 302),
        other=("other_owner", 404),
    ),
    f"{ORG}/": Case.page(
        ("assistant", 200), Others(wrong=ALL_MEMBERS, other=("other_owner", 404)), kwargs=practice
    ),
    f"{ORG}/edit/": Case.page(("owner", 200), NOT_ASSISTANT, kwargs=practice),
    f"{ORG}/members/": Case.page(("technician", 200), NOT_DESIGNER, kwargs=lab),
    f"{ORG}/members/<uuid:membership_id>/": Case.post(
        ("owner", 302), NOT_DENTIST, kwargs=member_of_practice, data={"role": "dentist"}
    ),
    f"{ORG}/members/<uuid:membership_id>/remove/": Case.post(
        ("owner", 302), NOT_ASSISTANT, kwargs=member_of_practice
    ),
    f"{ORG}/invitations/": Case.post(
        ("owner", 302),
        NOT_DENTIST,
        kwargs=practice,
        data={"email": "new.person@x.example", "role": "assistant"},
    ),
    f"{ORG}/invitations/<uuid:invitation_id>/revoke/": Case.post(
        ("owner", 302), NOT_DENTIST, kwargs=invitation
    ),
    f"{ORG}/connections/": Case.page(
        ("dentist", 200), Others(wrong=NA("n/a"), other=("other_owner", 404)), kwargs=practice
    ),
    f"{ORG}/connections/<uuid:connection_id>/": Case.post(
        ("manager", 302), NOT_TECHNICIAN, kwargs=pending_connection, data={"decision": "accept"}
    ),
    f"{ORG}/audit/": Case.page(("owner", 200), NOT_ASSISTANT, kwargs=practice),
    "invitations/<str:token>/": Case(
        kwargs=invitation_token, right=("newcomer", 404), other=NA("the token is the key")
    ),
    "api/v1/organizations/": Case(
        api=True, right=("designer", 200), anon=401, other=NA("lists only one's own")
    ),
    f"api/v1/{ORG}/": Case.endpoint(
        "patch", ("owner", 200), NOT_ASSISTANT, kwargs=practice, data={"city": "Amersfoort"}
    ),
    f"api/v1/{ORG}/members/": Case.endpoint("get", ("technician", 200), NOT_DESIGNER, kwargs=lab),
    f"api/v1/{ORG}/members/<uuid:membership_id>/": Case.endpoint(
        "patch", ("owner", 200), NOT_DENTIST, kwargs=member_of_practice, data={"role": "dentist"}
    ),
    f"api/v1/{ORG}/invitations/": Case.endpoint(
        "post",
        ("owner", 201),
        NOT_ASSISTANT,
        kwargs=practice,
        data={"email": "api.person@x.example", "role": "assistant"},
    ),
    f"api/v1/{ORG}/invitations/<uuid:invitation_id>/": Case.endpoint(
        "delete", ("owner", 204), NOT_ASSISTANT, kwargs=invitation
    ),
    f"api/v1/{ORG}/connections/": Case.endpoint(
        "post",
        ("owner", 201),
        NOT_DENTIST,
        kwargs=practice,
        data=lambda w: {"lab": str(w.lab.public_id)},
    ),
    f"api/v1/{ORG}/connections/<uuid:connection_id>/": Case.endpoint(
        "patch",
        ("owner", 200),
        NOT_ASSISTANT,
        kwargs=accepted_connection_for_practice,
        data={"decision": "end"},
    ),
    f"api/v1/{ORG}/audit-events/": Case.endpoint(
        "get", ("owner", 200), NOT_DENTIST, kwargs=practice
    ),
}
