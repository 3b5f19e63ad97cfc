"""The role → permission table, spelled out: a change to the policy must change this test."""

import pytest

from dentalbridge.organizations.models import Role
from dentalbridge.privacy.policy import ROLE_PERMISSIONS, Perm, role_may

P = Perm
EXPECTED = {
    # perm:                 owner dentist assistant manager technician designer dpo support
    P.ORGANIZATION_VIEW:    (1, 1, 1, 1, 1, 1, 1, 1),
    P.ORGANIZATION_EDIT:    (1, 0, 0, 1, 0, 0, 1, 0),
    P.MEMBER_VIEW:          (1, 1, 1, 1, 1, 0, 1, 1),
    P.MEMBER_MANAGE:        (1, 0, 0, 1, 0, 0, 1, 0),
    P.INVITATION_MANAGE:    (1, 0, 0, 1, 0, 0, 1, 0),
    P.CONNECTION_VIEW:      (1, 1, 1, 1, 1, 0, 1, 0),
    P.CONNECTION_REQUEST:   (1, 0, 0, 0, 0, 0, 0, 0),
    P.CONNECTION_RESPOND:   (0, 0, 0, 1, 0, 0, 0, 0),
    P.AUDIT_VIEW:           (1, 0, 0, 1, 0, 0, 1, 0),
    P.TOKEN_MANAGE:         (1, 1, 1, 1, 1, 1, 1, 1),
    P.PATIENT_VIEW:         (1, 1, 1, 0, 0, 0, 0, 0),
    P.PATIENT_EDIT:         (1, 1, 1, 0, 0, 0, 0, 0),
    P.PATIENT_DELETE:       (1, 1, 0, 0, 0, 0, 0, 0),
    P.SHARED_FILES_VIEW:    (0, 0, 0, 1, 1, 1, 0, 0),
    P.DESIGNER_ASSIGN:      (0, 0, 0, 1, 0, 0, 0, 0),
    P.ORDER_VIEW:           (1, 1, 1, 1, 1, 1, 0, 0),
    P.ORDER_PRESCRIBE:      (1, 1, 1, 0, 0, 0, 0, 0),
    P.ORDER_WORK:           (0, 0, 0, 1, 1, 1, 0, 0),
    P.ORDER_MANAGE:         (0, 0, 0, 1, 0, 0, 0, 0),
    P.LAB_SETTINGS_EDIT:    (0, 0, 0, 1, 0, 0, 0, 0),
    P.IMPLANT_LIBRARY_EDIT: (0, 0, 0, 1, 0, 0, 1, 1),
    P.PLATFORM_AUDIT:       (0, 0, 0, 0, 0, 0, 1, 0),
    P.NEWSLETTER_SEND:      (0, 0, 0, 0, 0, 0, 0, 1),
    P.DATA_REQUEST_HANDLE:  (1, 0, 0, 0, 0, 0, 1, 0),
    P.DATA_REQUEST_FORWARD: (0, 0, 0, 1, 0, 0, 0, 0),
}  # fmt: skip
ROLES = (
    Role.OWNER, Role.DENTIST, Role.ASSISTANT, Role.MANAGER,
    Role.TECHNICIAN, Role.DESIGNER, Role.DPO, Role.SUPPORT,
)  # fmt: skip


def test_every_permission_and_role_is_in_the_table():
    assert set(EXPECTED) == set(Perm)
    assert set(ROLES) == set(ROLE_PERMISSIONS) == set(Role)


@pytest.mark.parametrize("perm", list(Perm))
def test_role_permission_table(perm):
    actual = tuple(int(role_may(role, perm)) for role in ROLES)
    assert actual == EXPECTED[perm]


def test_no_role_no_permission():
    assert not any(role_may(None, perm) for perm in Perm)
