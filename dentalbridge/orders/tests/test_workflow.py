"""Every step of an order from every state for every role (ORD-2, ORD-3): the table spelled out
here independently of ``workflow.TRANSITIONS``, so changing the rules means changing this test.
A refused step says why (403 for the wrong role, 409 for the wrong state) and changes nothing."""

import pytest
from django.db import transaction

from conftest import acting
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.files.tests.factories import stored_scan
from dentalbridge.orders import services
from dentalbridge.orders.models import AttachmentKind, Order, OrderAssignment, OrderAttachment
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.orders.workflow import OrderState, Transition
from dentalbridge.privacy.door import through_the_door

CLINICIANS = {"owner", "dentist"}
PRACTICE = CLINICIANS | {"assistant"}
LAB_LEAD = {"manager"}
LAB_STAFF = {"manager", "technician"}
LAB_DESIGN = LAB_STAFF | {"designer"}

# step: (from states, roles, to state — None: back where the lab's question interrupted)
EXPECTED = {
    "submit": ({"draft"}, CLINICIANS, "submitted"),
    "cancel": ({"draft", "submitted", "info_requested", "accepted"}, CLINICIANS, "cancelled"),
    "accept": ({"submitted"}, LAB_LEAD, "accepted"),
    "decline": ({"submitted", "info_requested"}, LAB_LEAD, "declined"),
    "request_info": ({"submitted", "accepted", "in_design"}, LAB_DESIGN, "info_requested"),
    "answer_info": ({"info_requested"}, PRACTICE, None),
    "start_design": ({"accepted"}, LAB_DESIGN, "in_design"),
    "submit_design": ({"in_design"}, LAB_DESIGN, "awaiting_approval"),
    "approve_design": ({"awaiting_approval"}, CLINICIANS, "in_production"),
    "request_changes": ({"awaiting_approval"}, CLINICIANS, "in_design"),
    "start_production": ({"accepted", "in_design"}, LAB_STAFF, "in_production"),
    "to_quality_check": ({"in_production"}, LAB_STAFF, "quality_check"),
    "pass_quality_check": ({"quality_check"}, LAB_STAFF, "ready_to_ship"),
    "fail_quality_check": ({"quality_check"}, LAB_STAFF, "in_production"),
    "ship": ({"ready_to_ship"}, LAB_STAFF, "shipped"),
    "deliver": ({"shipped"}, PRACTICE, "delivered"),
    "close": ({"delivered"}, CLINICIANS, "closed"),
}
# Who acts: (persona, organization attribute, role in the table).
ACTORS = {
    "owner": ("owner", "practice", "owner"),
    "dentist": ("dentist", "practice", "dentist"),
    "assistant": ("assistant", "practice", "assistant"),
    "manager": ("manager", "lab", "manager"),
    "technician": ("technician", "lab", "technician"),
    "assigned designer": ("designer", "lab", "designer"),
    "unassigned designer": ("designer", "lab", None),
    "other practice": ("other_owner", "other_practice", None),
    "other lab": ("other_manager", "other_lab", None),
}


class _Undo(Exception):
    pass


def test_the_table_covers_every_step_and_state():
    assert set(EXPECTED) == set(Transition.values)
    used = set().union(*(sources for sources, _r, _t in EXPECTED.values()))
    assert used | {"declined", "cancelled", "closed"} == set(OrderState.values)


def expected_outcome(state, step, actor, *, approval: bool):
    _persona, org, role = ACTORS[actor]
    if role is None or (org == "lab" and state == "draft"):
        return NotFound
    sources, roles, target = EXPECTED[step]
    if role not in roles:
        return Forbidden
    if state not in sources:
        return Conflict
    if step == "submit_design" and not approval:
        return Conflict
    if step == "start_production" and approval:
        return Conflict
    return target or "accepted"


CASES = [(state, True) for state in OrderState.values] + [
    (state, False) for state in ("accepted", "in_design", "awaiting_approval")
]


@pytest.mark.parametrize(
    ("state", "approval"),
    CASES,
    ids=[f"{s}-{'approval' if a else 'no-approval'}" for s, a in CASES],
)
def test_every_step_for_every_role_from(state, approval, world, patient, local_files):  # noqa: F811
    order = draft_order(world, patient, requires_approval=approval)
    if state == "in_design":
        design = stored_scan(acting(world.owner, world.practice), patient, filename="design.stl")
        with through_the_door():
            OrderAttachment(order=order, item=design.item, kind=AttachmentKind.DESIGN).save()
    order = put_in(order, state)
    with through_the_door():
        OrderAssignment(order=order, assignee=world.designer, kind="designer").save()
    failures = []
    for actor, (persona, org, _role) in ACTORS.items():
        principal = acting(getattr(world, persona), getattr(world, org))
        if actor == "unassigned designer":
            with through_the_door():
                OrderAssignment.objects.filter(order=order).update(ended_at="2020-01-01T00:00Z")
        for step in Transition.values:
            expected = expected_outcome(state, step, actor, approval=approval)
            outcome = _attempt(principal, order, step)
            if isinstance(expected, str):
                ok = outcome == expected
            else:
                ok = isinstance(outcome, expected) and str(outcome.message)
            if not ok:
                failures.append(f"{actor} {step} from {state}: {outcome!r}, expected {expected}")
        if actor == "unassigned designer":
            with through_the_door():
                OrderAssignment.objects.filter(order=order).update(ended_at=None)
    assert failures == []


def _attempt(principal, order, step):
    """The step's outcome (the new state or the error), always rolled back."""
    outcome = None
    try:
        with transaction.atomic():
            changed = services.order_transition(
                actor=principal, order_id=order.public_id, transition=step, reason="Because."
            )
            outcome = changed.state
            raise _Undo
    except _Undo:
        pass
    except (NotFound, Forbidden, Conflict, ValidationFailed) as error:
        outcome = error
        with through_the_door():
            assert Order.objects.get(pk=order.pk).state == order.state  # nothing changed
    return outcome


@pytest.mark.parametrize(
    "step", ["cancel", "decline", "request_info", "answer_info", "request_changes"]
)
def test_steps_that_need_a_reason_refuse_without_one(step, world, patient):
    sources, roles, _target = EXPECTED[step]
    order = put_in(draft_order(world, patient), sorted(sources)[0])
    persona, org = ("manager", "lab") if "manager" in roles else ("dentist", "practice")
    with pytest.raises(ValidationFailed) as refused:
        services.order_transition(
            actor=acting(getattr(world, persona), getattr(world, org)),
            order_id=order.public_id,
            transition=step,
            reason="   ",
        )
    assert "reason" in refused.value.fields


def test_wrong_role_message_names_who_may(world, patient):
    order = put_in(draft_order(world, patient), "submitted")
    with pytest.raises(Forbidden) as refused:
        services.order_transition(
            actor=acting(world.technician, world.lab), order_id=order.public_id, transition="accept"
        )
    assert refused.value.message == (
        "“Accept” is for the lab's lab manager; your role here is technician."
    )


def test_wrong_state_message_names_the_state(world, patient):
    order = put_in(draft_order(world, patient), "in_production")
    with pytest.raises(Conflict) as refused:
        services.order_transition(
            actor=acting(world.dentist, world.practice),
            order_id=order.public_id,
            transition="approve_design",
        )
    assert refused.value.message == (
        "“Approve the design” is not possible while the order is “In production”."
    )


def test_an_answer_resumes_the_order_where_the_question_stopped_it(world, patient):
    order = put_in(draft_order(world, patient), "in_design")
    lab = acting(world.technician, world.lab)
    services.order_transition(
        actor=lab, order_id=order.public_id, transition="request_info", reason="Which margin?"
    )
    answered = services.order_transition(
        actor=acting(world.assistant, world.practice),
        order_id=order.public_id,
        transition="answer_info",
        reason="Chamfer, as written.",
    )
    assert answered.state == "in_design"
