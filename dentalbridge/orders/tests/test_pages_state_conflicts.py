"""No order page answers 5xx to a state conflict or a stale form (issue 12, item 5): every order
action, found by walking the URL conf, is posted for a sent, a declined and a closed order by each
side (practice owner and assistant; lab manager, technician and a designer not assigned to it).
A domain error comes out of the one error path of HTML pages (``core.middleware``): 404 for
"absent" and "not yours" alike, 403 for a role's limit, 409 with what happened and a link to the
order for a state conflict; a form's own validation errors stay on the form."""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.urls import URLResolver, get_resolver, include, path, reverse
from django.utils import timezone
from django.utils.html import escape

from conftest import acting, client_for
from dentalbridge.core.errors import Conflict, DomainError, Forbidden, RateLimited, ValidationFailed
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.orders import services, workflow
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.organizations.models import Membership

STATES = ("submitted", "declined", "closed")  # "sent" is the state ``submitted``
PRACTICE = ("owner", "assistant")
LAB = ("manager", "technician", "designer")
ORDER_ARGUMENT = "order_id"


def answers(practice: int, manager: int, technician: int, designer: int = 404) -> dict:
    """Status per persona; the designer is not assigned to these orders: they are not hers."""
    return {
        "owner": practice,
        "assistant": practice,
        "manager": manager,
        "technician": technician,
        "designer": designer,
    }


@dataclass(frozen=True)
class Action:
    """How to post one order route, and what each persona gets for each state."""

    expect: dict  # persona → status, or state → (persona → status)
    data: Callable = lambda world: {}
    says: str = ""  # what a 409 says happened
    method: str = "post"

    def status(self, state: str, persona: str) -> int:
        table = self.expect.get(state, self.expect)
        return table[persona]


# Every order route of the HTML pages (``order_step`` is walked per transition, below).
ACTIONS = {
    "order_detail": Action(answers(200, 200, 200), method="get"),
    # A sent order's editor leads to its page (the draft tools are the practice's only).
    "order_edit": Action(answers(302, 404, 404), data=lambda w: {"action": "save"}),
    "order_autosave": Action(
        answers(409, 404, 404),
        data=lambda w: {"preparation_notes": "Chamfer."},
        says="This order was sent; it can no longer be edited.",
    ),
    "order_step": Action({}),  # per transition: see test below
    "order_assign": Action(
        answers(403, 409, 403),
        data=lambda w: {"member": _designer_membership(w)},
        says="Only an accepted order in work can be assigned.",
    ),
    "order_unassign": Action(answers(403, 302, 403)),  # an assignment that already ended
    "order_return_date": Action(
        answers(403, 409, 403),
        data=lambda w: {"return_date": "2099-01-07"},
        says="The return date can be set only while the lab works on the order.",
    ),
    "order_message": Action(answers(302, 302, 302), data=lambda w: {"body": "Which shade tab?"}),
    "order_remake": Action(
        {
            "submitted": answers(409, 404, 404),
            "declined": answers(409, 404, 404),
            "closed": answers(302, 404, 404),
        },
        data=lambda w: {"reason": "fit", "note": "Open margin."},
        says="A remake can be asked for work that was shipped or delivered.",
    ),
    "order_attach": Action(
        answers(409, 404, 404),
        data=lambda w: {"item": str(uuid.UUID(int=0))},
        says="Files can be added while the order is a draft or the lab asks for information.",
    ),
}
EXPECTED_STATUSES = {200, 201, 302, 400, 403, 404, 405, 409}


def order_routes(resolver=None, prefix: str = "", arguments: tuple = ()) -> dict[str, tuple]:
    """{name: its URL's arguments} of every HTML route about one order (taking its id; the API
    is left to its own tests)."""
    found = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        names = arguments + tuple(pattern.pattern.converters)
        if isinstance(pattern, URLResolver):
            found.update(order_routes(pattern, route, names))
        elif ORDER_ARGUMENT in names and not route.startswith("api/"):
            found[pattern.name or route] = names  # an unnamed route fails reverse()
    return found


def _designer_membership(world) -> str:
    return str(Membership.objects.get(user=world.designer).public_id)


def _client(world, persona):
    user = getattr(world, persona)
    return client_for(user, membership=Membership.objects.get(user=user))


def _ended_assignment(world, order) -> uuid.UUID:
    """An assignment of the designer that ended before the order reached its state."""
    manager = acting(world.manager, world.lab)
    put_in(order, "accepted")
    assignment = services.order_assign(
        actor=manager, order_id=order.public_id, member_id=_designer_membership(world)
    )
    services.order_unassign(
        actor=manager, order_id=order.public_id, assignment_id=assignment.public_id
    )
    return assignment.public_id


def _kwargs(arguments: tuple, order, assignment_id) -> dict:
    kwargs = {ORDER_ARGUMENT: order.public_id}
    for argument in arguments:
        if argument == "assignment_id":
            kwargs[argument] = assignment_id
        elif argument != ORDER_ARGUMENT:
            kwargs[argument] = uuid.uuid4()  # a new route's other ids: still no 5xx
    return kwargs


def _assert_conflict_page(response, says: str, order) -> None:
    text = response.text
    assert "Not possible now" in text
    assert says in text, text[:3000]
    assert f'href="{reverse("order_detail", args=[order.public_id])}"' in text  # the way back


def test_every_order_route_is_exercised_here():
    """A new order action must say here what each side gets for it (then it is posted below)."""
    assert set(order_routes()) == set(ACTIONS), (
        "Add the new order route to ACTIONS with what each persona gets for it"
    )


@pytest.mark.parametrize("persona", PRACTICE + LAB)
@pytest.mark.parametrize("state", STATES)
def test_no_order_action_answers_5xx_to_a_sent_declined_or_closed_order(
    world, patient, state, persona
):
    order = draft_order(world, patient)
    assignment_id = _ended_assignment(world, order)
    client = _client(world, persona)
    seen = []
    for name, arguments in order_routes().items():
        if name == "order_step":
            continue  # each transition, below
        url = reverse(name, kwargs=_kwargs(arguments, order, assignment_id))
        action = ACTIONS.get(name, Action({}))  # a route not listed yet is posted all the same
        put_in(order, state)  # an action that worked must not change what the next one meets
        response = getattr(client, action.method)(url, action.data(world))
        seen.append((name, response.status_code))
        assert response.status_code < 500, (name, response.text[:2000])
        assert response.status_code in EXPECTED_STATUSES, name
        if name in ACTIONS:
            assert response.status_code == action.status(state, persona), (name, seen)
        if response.status_code == 409:
            _assert_conflict_page(response, action.says, order)

    step_url = reverse("order_step", args=[order.public_id])
    side = "practice" if persona in PRACTICE else "lab"
    role = Membership.objects.get(user=getattr(world, persona)).role
    for transition in workflow.Transition:
        put_in(order, state)
        response = client.post(
            step_url, {"transition": transition, "reason": "Checked.", "return_date": ""}
        )
        assert response.status_code < 500, (transition, response.text[:2000])
        if persona == "designer":  # not assigned: the order is not hers to know
            assert response.status_code == 404, transition
            continue
        try:
            workflow.check(transition, state=state, side=side, role=role, assigned=False)
        except Conflict as conflict:
            assert response.status_code == 409, transition
            _assert_conflict_page(response, escape(conflict.message), order)
        except Forbidden as forbidden:
            assert response.status_code == 403, transition
            assert escape(forbidden.message) in response.text
        else:  # the step is made, or its form says on the order's page what it still needs
            assert response.status_code == 302, transition


@pytest.mark.parametrize("state", STATES)
def test_the_design_upload_of_an_order_not_in_design_answers_409_to_the_lab(world, patient, state):
    """The design upload target is the tus endpoint of the API (its errors are JSON)."""
    order = put_in(draft_order(world, patient), state)
    for persona, status in answers(404, 409, 409).items():
        response = tus.create(_client(world, persona), 100, filename="d.stl", order=order.public_id)
        assert response.status_code == status, persona
        if status == 409:
            assert response.json()["error"]["code"] == "not_in_design"


def test_an_autosave_of_an_order_sent_meanwhile_says_so_where_it_shows_its_status(world, patient):
    """Tried as a new user would: the editor is open, a colleague sends the order, the next
    autosave (htmx) answered 500. Now: 409 and a line the page shows, with the way to the order."""
    order = draft_order(world, patient)
    editor = _client(world, "assistant")
    assert editor.get(reverse("order_edit", args=[order.public_id])).status_code == 200
    services.order_transition(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, transition="submit"
    )
    response = editor.post(
        reverse("order_autosave", args=[order.public_id]),
        {"preparation_notes": "Chamfer, 1 mm."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert response["X-Error-Code"] == "conflict"  # app.js swaps it into #autosave-status
    assert "<html" not in response.text  # a fragment, not a page
    assert 'role="alert"' in response.text
    assert "This order was sent; it can no longer be edited." in response.text
    assert f'href="{reverse("order_detail", args=[order.public_id])}"' in response.text


def test_a_step_on_a_stale_order_page_answers_409_with_what_happened(world, patient):
    """The lab's manager has the sent order open; the practice cancels it; "Accept" is posted."""
    order = put_in(draft_order(world, patient), "submitted")
    manager = _client(world, "manager")
    assert manager.get(reverse("order_detail", args=[order.public_id])).status_code == 200
    services.order_transition(
        actor=acting(world.dentist, world.practice),
        order_id=order.public_id,
        transition="cancel",
        reason="Patient moved away.",
    )
    response = manager.post(reverse("order_step", args=[order.public_id]), {"transition": "accept"})
    assert response.status_code == 409
    _assert_conflict_page(
        response, "“Accept” is not possible while the order is “Cancelled”.", order
    )
    assert "Open the order" in response.text


def _main(text: str) -> str:
    """The page's own content (the layout around it marks the section one is in)."""
    return re.search(r"<main.*</main>", text, re.DOTALL).group(0)


def test_absent_and_not_yours_get_the_same_404_page(world, patient):
    order = put_in(draft_order(world, patient), "submitted")
    designer = _client(world, "designer")  # not assigned: the order is not hers
    not_hers = designer.get(reverse("order_detail", args=[order.public_id]))
    absent = designer.get(reverse("order_detail", args=[uuid.uuid4()]))
    unknown_address = designer.get("/orders/not-an-order/")
    assert not_hers.status_code == absent.status_code == unknown_address.status_code == 404
    assert _main(not_hers.text) == _main(absent.text) == _main(unknown_address.text)
    assert "Open the order" not in not_hers.text  # no way to tell it exists
    fragment = designer.post(
        reverse("order_message", args=[order.public_id]),
        {"body": "Hi"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 404 and "Not found." in fragment.text


def test_a_role_limit_answers_403_with_whose_step_it_is(world, patient):
    order = put_in(draft_order(world, patient), "submitted")
    response = _client(world, "technician").post(
        reverse("order_step", args=[order.public_id]), {"transition": "accept"}
    )
    assert response.status_code == 403
    assert "Not allowed" in response.text
    assert "your role here is technician." in response.text


def test_a_prescription_the_service_refuses_stays_on_its_form_with_400(world, patient):
    """ValidationFailed of a form is shown on the form itself (not on the error page)."""
    order = draft_order(world, patient)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = _client(world, "owner").post(
        reverse("order_edit", args=[order.public_id]),
        {
            "lab": str(world.lab.public_id),
            "due_date": yesterday.isoformat(),
            "items-1-restoration_type": "crown",
            "items-1-teeth": ["11"],
            "items-1-material": "zirconia",
            "items-1-shade": "A2",
            "action": "save",
        },
    )
    assert response.status_code == 400
    assert 'id="prescription"' in response.text  # the editor, with the field's message
    assert "Choose a date from today on." in response.text


def test_an_assistant_who_presses_send_stays_on_the_saved_draft_told_who_sends_it(world, patient):
    """A role limit met on the prescription form is said on the form, not on an error page."""
    order = draft_order(world, patient)
    assistant = _client(world, "assistant")
    editor = reverse("order_edit", args=[order.public_id])
    form = {
        "lab": str(world.lab.public_id),
        "due_date": order.due_date.isoformat(),
        "preparation_notes": "Chamfer, 1 mm.",
        "items-1-restoration_type": "crown",
        "items-1-teeth": ["11"],
        "items-1-material": "zirconia",
        "items-1-shade": "A2",
        "action": "submit",
    }
    response = assistant.post(editor, form)
    assert response.status_code == 302 and response.url == editor
    page = assistant.get(editor)
    assert "your role here is assistant." in page.text
    assert "Chamfer, 1 mm." in page.text  # the draft was saved


# --- The mechanism for errors no page of today lets through --------------------------------------


def _refusing(request, kind):
    errors: dict[str, DomainError] = {
        "invalid": ValidationFailed(
            "Please correct the highlighted fields.", fields={"due_date": ["A working day."]}
        ),
        "throttled": RateLimited("Too many attempts; try again in an hour."),
    }
    raise errors[kind]


urlpatterns = [
    path("refusals/<str:kind>/", _refusing),
    path("ok/", lambda request: HttpResponse("ok")),
    path("", include("config.urls")),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("kind", "status", "says"),
    [
        ("invalid", 400, ["Please correct the highlighted fields.", "A working day."]),
        ("throttled", 429, ["Too many attempts", "Too many attempts; try again in an hour."]),
    ],
)
def test_any_other_domain_error_is_a_page_with_its_status_and_message(world, kind, status, says):
    client = _client(world, "owner")
    response = client.post(f"/refusals/{kind}/", headers={"Referer": "http://testserver/ok/"})
    assert response.status_code == status
    assert all(text in response.text for text in says)
    assert 'href="http://testserver/ok/"' in response.text  # back where the form was
    assert 'class="topbar"' in response.text  # in the site's layout
