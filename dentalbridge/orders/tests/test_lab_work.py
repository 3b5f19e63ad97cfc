"""The lab's side of an order (ORD-2, ORD-7, ORD-8): it sees sent orders under the pseudonym, its
manager assigns technicians and designers, a designer sees the order, its files and its thread
only while assigned; return dates follow the calendar and capacity; remakes carry their cost."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from conftest import acting
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.files import access as files_access
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.files.tests.factories import stored_scan
from dentalbridge.orders import access, selectors, services
from dentalbridge.orders.lab_view import OrderForLab
from dentalbridge.orders.models import LabProduct, LabSettings
from dentalbridge.orders.tests.conftest import draft_order, next_weekday, put_in
from dentalbridge.organizations.models import Membership
from dentalbridge.patients import services as patient_services


def _send(world, patient, **kwargs):
    order = draft_order(world, patient, **kwargs)
    return services.order_transition(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, transition="submit"
    )


def test_the_lab_sees_sent_orders_only_and_never_the_patient(world, patient):
    draft = draft_order(world, patient)
    sent = _send(world, patient)
    lab = acting(world.technician, world.lab)
    with pytest.raises(NotFound):
        access.order_access(lab, draft.public_id)
    seen = access.order_access(lab, sent.public_id)
    assert seen.pseudonym == patient.pseudonym
    # A typed view, not the row with its patient blanked: there is no patient to reach at all.
    assert isinstance(seen, OrderForLab)
    for name in ("patient", "patient_id", "patient_uuid"):
        assert not hasattr(seen, name)
    orders, side = access.orders_query(lab)
    assert side == "lab" and [o.public_id for o in orders] == [seen.public_id]


def test_inbox_search_with_a_nul_byte_is_answered_not_an_error(world, patient):
    """Found by the API fuzzer on PostgreSQL, which refuses NUL in a query string."""
    sent = _send(world, patient)
    lab = acting(world.technician, world.lab)
    orders, _ = selectors.inbox(lab, view="all", search=f"\x00{sent.reference}\x00")
    assert list(orders) == [sent]


def test_inbox_search_finds_parts_of_references_and_names_only_for_the_practice(world, patient):
    """ "r87w" finds O-R87W-…; the practice also finds the order by the patient's name, the lab
    never (a name it typed must not tell it whose case an order is)."""
    sent = _send(world, patient)
    other = _send(world, patient_services.patient_create(
        actor=acting(world.owner, world.practice), given_name="Otto", family_name="Other",
        date_of_birth=date(1970, 1, 1), attending_dentist=world.dentist,
    ))  # fmt: skip
    lab = acting(world.technician, world.lab)
    practice = acting(world.dentist, world.practice)
    part = sent.reference.split("-")[1].lower()
    for who in (lab, practice):
        assert list(selectors.inbox(who, view="all", search=part)[0]) == [sent]
        pseudonym = selectors.inbox(who, view="all", search=other.pseudonym[2:6])[0]
        assert list(pseudonym) == [other]
    assert list(selectors.inbox(practice, view="all", search="doe")[0]) == [sent]
    assert list(selectors.inbox(practice, view="all", search="Otto")[0]) == [other]
    for name in ("doe", "Jane", "Otto", "Other"):
        assert list(selectors.inbox(lab, view="all", search=name)[0]) == [], name
    assert list(selectors.inbox(practice, view="all", search="zz-no-such")[0]) == []


def _membership(world, user):
    return Membership.objects.get(user=user, organization=world.lab)


def test_a_designer_sees_the_order_its_files_and_thread_only_while_assigned(
    world,
    patient,
    local_files,  # noqa: F811
):
    scan = stored_scan(acting(world.owner, world.practice), patient)
    order = draft_order(world, patient)
    dentist = acting(world.dentist, world.practice)
    services.order_attach(actor=dentist, order_id=order.public_id, item_id=scan.item.public_id)
    services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")
    manager = acting(world.manager, world.lab)
    services.order_transition(actor=manager, order_id=order.public_id, transition="accept")
    services.order_message_post(actor=dentist, order_id=order.public_id, body="Light occlusion.")
    designer = acting(world.designer, world.lab)
    shared = next(a for a in files_access.derivatives_of(scan) if a.role == "shared")

    def can_see() -> dict:
        seen = {}
        for what, attempt in {
            "order": lambda: access.order_access(designer, order.public_id),
            "list": lambda: (
                list(access.orders_query(designer)[0]) or (_ for _ in ()).throw(NotFound())
            ),
            "file": lambda: files_access.asset_access(
                designer, patient.public_id, shared.public_id, "patient.view"
            ),
            "share": lambda: files_access.lab_share_access(
                designer, access.order_attachments(order)[0].share.public_id
            ),
            "message": lambda: services.order_message_post(
                actor=designer, order_id=order.public_id, body="Hi"
            ),
        }.items():
            try:
                attempt()
                seen[what] = True
            except NotFound:
                seen[what] = False
        return seen

    assert set(can_see().values()) == {False}
    assignment = services.order_assign(
        actor=manager,
        order_id=order.public_id,
        member_id=_membership(world, world.designer).public_id,
    )
    assert set(can_see().values()) == {True}
    assert access.order_access(designer, order.public_id).assigned
    services.order_unassign(
        actor=manager, order_id=order.public_id, assignment_id=assignment.public_id
    )
    assert set(can_see().values()) == {False}


def test_a_designer_assignment_ends_by_itself_at_its_end_and_with_the_design_work(world, patient):
    order = put_in(_send(world, patient), "accepted")
    manager = acting(world.manager, world.lab)
    designer = acting(world.designer, world.lab)
    member = _membership(world, world.designer).public_id
    services.order_assign(
        actor=manager,
        order_id=order.public_id,
        member_id=member,
        ends_at=timezone.now() + timedelta(hours=1),
    )
    access.order_access(designer, order.public_id)
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(hours=2)), pytest.raises(NotFound):
        access.order_access(designer, order.public_id)
    access.order_access(designer, order.public_id)  # back in the present: assigned again
    put_in(order, "accepted", requires_approval=False)
    services.order_transition(
        actor=manager, order_id=order.public_id, transition="start_production"
    )
    with pytest.raises(NotFound):
        access.order_access(designer, order.public_id)


def test_assigning_checks_the_member_and_the_role(world, patient):
    order = put_in(_send(world, patient), "accepted")
    with pytest.raises(ValidationFailed, match="member of your lab"):
        services.order_assign(
            actor=acting(world.manager, world.lab),
            order_id=order.public_id,
            member_id=Membership.objects.get(user=world.owner).public_id,
        )
    with pytest.raises(Forbidden):
        services.order_assign(
            actor=acting(world.technician, world.lab),
            order_id=order.public_id,
            member_id=_membership(world, world.designer).public_id,
        )
    with pytest.raises(Forbidden):  # the practice sees the order, but assigning is the lab's
        services.order_assign(
            actor=acting(world.owner, world.practice),
            order_id=order.public_id,
            member_id=_membership(world, world.designer).public_id,
        )
    services.order_assign(
        actor=acting(world.manager, world.lab),
        order_id=order.public_id,
        member_id=_membership(world, world.technician).public_id,
    )
    with pytest.raises(Conflict, match="already assigned"):
        services.order_assign(
            actor=acting(world.manager, world.lab),
            order_id=order.public_id,
            member_id=_membership(world, world.technician).public_id,
        )


def test_accepting_promises_a_return_date_from_lead_time_calendar_and_capacity(world, patient):
    LabProduct.objects.create(
        lab=world.lab, restoration_type="crown", material="zirconia", lead_days=3
    )
    LabSettings.objects.create(lab=world.lab, weekdays=[0, 1, 2, 3, 4], daily_capacity=1)
    today = next_weekday(timezone.localdate(), 0)  # a Monday with no holiday
    import time_machine

    with time_machine.travel(today):
        first = _send(world, patient, due=next_weekday(today, 3))  # Thursday: 3 working days
        second = _send(world, patient, due=next_weekday(today, 3))
        manager = acting(world.manager, world.lab)
        accepted = services.order_transition(
            actor=manager, order_id=first.public_id, transition="accept"
        )
        assert accepted.confirmed_due_date == next_weekday(today, 3)
        # Thursday is full (capacity 1): the next working day.
        assert selectors.propose_return_date(access.order_access(manager, second.public_id)) == (
            next_weekday(today, 4)
        )
        with pytest.raises(ValidationFailed, match="closed on"):
            services.order_transition(
                actor=manager,
                order_id=second.public_id,
                transition="accept",
                return_date=next_weekday(today, 3) + timedelta(days=2),  # Saturday
            )
        with pytest.raises(ValidationFailed, match="past"):
            services.order_confirm_return_date(
                actor=manager, order_id=first.public_id, return_date=today - timedelta(days=1)
            )


def test_a_remake_links_to_its_original_and_the_lab_policy_decides_the_cost(world, patient):
    order = put_in(_send(world, patient), "delivered")
    dentist = acting(world.dentist, world.practice)
    remake = services.order_remake(
        actor=dentist, order_id=order.public_id, reason="fit", note="Open margin on 11 distal."
    )
    assert remake.remake_of == order and remake.remake_cost_bearer == "lab"
    assert [i.teeth for i in access.order_items(remake)] == [[11]]
    shade = services.order_remake(
        actor=dentist, order_id=order.public_id, reason="impression", note="Scan distorted."
    )
    assert shade.remake_cost_bearer == "practice"
    LabSettings.objects.create(
        lab=world.lab, weekdays=[0, 1, 2, 3, 4], remake_policy={"impression": "lab"}
    )
    assert (
        services.order_remake(
            actor=dentist, order_id=order.public_id, reason="impression", note="Again."
        ).remake_cost_bearer
        == "lab"
    )
    with pytest.raises(ValidationFailed):
        services.order_remake(actor=dentist, order_id=order.public_id, reason="moon", note="x")
    rates = selectors.remake_rates(acting(world.dentist, world.practice))
    assert rates == [{"name": "Precision Lab", "orders": 1, "remakes": 0, "rate": 0.0}]
    for remake_order in (remake, shade):
        put_in(remake_order, "delivered")
    rates = selectors.remake_rates(acting(world.manager, world.lab))
    assert rates[0]["remakes"] == 2 and rates[0]["orders"] == 3


def test_an_order_outlives_its_purged_patient_under_the_pseudonym(world, patient, settings):
    """ORD-6: the business record stays; the link to the patient goes with the purge."""
    import time_machine

    from dentalbridge.patients import retention
    from dentalbridge.patients import services as patient_services

    order = _send(world, patient)
    patient_services.patient_delete(
        actor=acting(world.owner, world.practice), patient_id=patient.public_id
    )
    with time_machine.travel(timezone.now() + timedelta(days=settings.PATIENT_RESTORE_DAYS + 1)):
        assert retention.patients_purge_due().purged == 1
    seen = access.order_access(acting(world.manager, world.lab), order.public_id)
    assert seen.pseudonym == patient.pseudonym
    mine = access.order_access(acting(world.dentist, world.practice), order.public_id)
    assert mine.patient is None and access.order_patient(mine) is None


def test_no_files_go_to_a_lab_once_the_connection_ended(world, patient, local_files):  # noqa: F811
    from dentalbridge.organizations.models import ConnectionStatus, LabConnection

    scan = stored_scan(acting(world.owner, world.practice), patient)
    order = draft_order(world, patient)
    dentist = acting(world.dentist, world.practice)
    services.order_attach(actor=dentist, order_id=order.public_id, item_id=scan.item.public_id)
    LabConnection.objects.filter(practice=world.practice, lab=world.lab).update(
        status=ConnectionStatus.ENDED
    )
    with pytest.raises(Conflict, match="no longer connected"):
        services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")
    assert access.order_access(dentist, order.public_id).state == "draft"


def test_the_lab_does_not_see_the_practices_draft_remakes(world, patient):
    order = put_in(_send(world, patient), "delivered")
    services.order_remake(
        actor=acting(world.dentist, world.practice),
        order_id=order.public_id,
        reason="fit",
        note="Open margin.",
    )
    assert (
        access.order_remakes(access.order_access(acting(world.manager, world.lab), order.public_id))
        == []
    )
    assert (
        len(
            access.order_remakes(
                access.order_access(acting(world.dentist, world.practice), order.public_id)
            )
        )
        == 1
    )
