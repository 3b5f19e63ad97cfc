import pytest
from django.core.management import CommandError, call_command

from dentalbridge.accounts.models import User
from dentalbridge.accounts.services import totp_code
from dentalbridge.demo.management.commands.seed_demo import (
    ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
)
from dentalbridge.organizations.models import LabConnection, Membership, Organization

pytestmark = pytest.mark.django_db


def _counts():
    return (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        LabConnection.objects.count(),
    )


def test_seed_demo_creates_one_account_per_role_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first == (6, 3, 6, 1)
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"owner", "assistant", "manager", "technician", "designer", "dpo"}
    assert all(email.endswith(".example") for email, *_ in ACCOUNTS)
    from dentalbridge.gdpr.models import OperatorDetails, SubProcessor

    # The operator's part of the register, fictional, so the notice reads as it would for real.
    assert OperatorDetails.objects.get().dpo_email.endswith(".example")
    assert SubProcessor.objects.count() == 1
    printed = capsys.readouterr().out
    assert DEMO_TOTP_SECRET in printed
    assert DEMO_PASSWORD in printed


def test_demo_owner_signs_in_with_the_published_credentials(client):
    call_command("seed_demo")
    client.post(
        "/accounts/login/", {"login": "owner@studio.demo.example", "password": DEMO_PASSWORD}
    )
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(DEMO_TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # → the practice, not the 2FA enrolment


def test_seed_demo_refuses_the_production_profile(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert _counts() == (0, 0, 0, 0)


def test_seed_demo_adds_fictional_patients_and_orders_once(capsys):
    """The demo is worth opening: the practice has patients with a note each, and orders in
    three states; the lab finds one new order (with a model to see) and one accepted, with a
    message each way. A second run adds nothing (the practice has patients)."""
    from dentalbridge.demo.management.commands.seed_demo import PATIENTS
    from dentalbridge.orders import access as orders_access
    from dentalbridge.orders.models import Order
    from dentalbridge.orders.workflow import OrderState
    from dentalbridge.patients import access as patients_access
    from dentalbridge.privacy.door import through_the_door
    from dentalbridge.privacy.principal import Principal

    call_command("seed_demo")
    practice = Organization.objects.get(kind="practice")
    owner = User.objects.get(email="owner@studio.demo.example")
    principal = Principal(
        user=owner, membership=Membership.objects.get(user=owner, organization=practice)
    )
    patients = list(patients_access.patients_query(principal))
    assert sorted(p.family_name for p in patients) == sorted(row[1] for row in PATIENTS)
    for patient in patients:
        assert not patient.email or patient.email.endswith(".example")
        kinds = sorted(item.kind for item in patients_access.record_of(patient))
        assert kinds == (["note", "scan"] if patient.family_name == "Prova" else ["note"])
    with through_the_door():
        states = sorted(Order.objects.values_list("state", flat=True))
        accepted = Order.objects.get(state=OrderState.ACCEPTED)
    assert states == sorted([OrderState.DRAFT, OrderState.SUBMITTED, OrderState.ACCEPTED])
    assert [
        m.author.email for m in orders_access.order_messages(accepted) if m.kind == "message"
    ] == [
        "manager@lab.demo.example",
        "owner@studio.demo.example",
    ]
    assert accepted.confirmed_due_date is not None
    # The bridge went with the generated model, shared with the lab; the file went in as any
    # upload does and says what it is.
    with through_the_door():
        bridge = Order.objects.get(state=OrderState.SUBMITTED)
    (attachment,) = orders_access.order_attachments(bridge)
    assert attachment.share_id is not None
    assert "not a real scan" in patients_access.record_item_current_version(attachment.item).title

    call_command("seed_demo")
    with through_the_door():
        assert Order.objects.count() == len(states)
    assert len(list(patients_access.patients_query(principal))) == len(PATIENTS)


def test_the_generated_model_is_a_closed_mesh_the_size_of_an_arch():
    import io

    import trimesh

    from dentalbridge.demo.management.commands.seed_demo import arch_model_stl

    data = arch_model_stl()
    mesh = trimesh.load(io.BytesIO(data), file_type="stl")
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert 50 < mesh.extents[0] < 70  # an adult arch, in millimetres
