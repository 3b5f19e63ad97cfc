"""The order pages as people use them: the dentist drafts and sends a prescription from the
patient's page, the lab works it from its inbox; the lab's pages never show who the patient is."""

import re

from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.orders import access, services
from dentalbridge.orders.tests.conftest import draft_order, next_weekday
from dentalbridge.organizations.models import Membership


def _client(world, persona, org):
    user = getattr(world, persona)
    return client_for(
        user, membership=Membership.objects.get(user=user, organization=getattr(world, org))
    )


def test_a_dentist_sends_a_complete_prescription_from_the_patients_page(world, patient, platform):
    from datetime import timedelta

    from django.utils import timezone

    dentist = _client(world, "dentist", "practice")
    page = dentist.get(reverse("patient_detail", args=[patient.public_id]))
    assert "New order" in page.text
    response = dentist.post(reverse("patient_order_create", args=[patient.public_id]))
    assert response.status_code == 302
    edit_url = response.url
    page = dentist.get(edit_url)
    assert page.status_code == 200
    assert "data-tooth-chart" in page.text and "Choose the lab" in page.text
    due = next_weekday(timezone.localdate() + timedelta(days=10))
    form = {
        "lab": str(world.lab.public_id),
        "due_date": due.isoformat(),
        "requires_approval": "on",
        "preparation_notes": "Chamfer.",
        "technical_notes": "",
        "items-1-restoration_type": "bridge",
        "items-1-teeth": ["14", "15", "16"],
        "items-1-pontics": ["15"],
        "items-1-material": "zirconia",
        "items-1-shade": "A2",
        "items-1-arch": "",
        "items-1-implant_platform": "",
        "items-1-notes": "",
        "items-2-restoration_type": "implant_crown",
        "items-2-teeth": ["36"],
        "items-2-material": "zirconia",
        "items-2-shade": "2M2",
        "items-2-implant_platform": str(platform.public_id),
        "action": "add",
    }
    response = dentist.post(edit_url, form)
    assert response.status_code == 302, response.text[:2000]
    page = dentist.get(edit_url)
    assert "Restoration 3" in page.text  # the added, blank crown
    assert "Restoration 3: Choose the tooth on the chart." in page.text
    response = dentist.post(edit_url, {**form, "action": "remove-3"})
    autosaved = dentist.post(
        reverse("order_autosave", args=[edit_url.split("/")[2]]),
        {**form, "preparation_notes": "Shoulder."},
    )
    assert "Draft saved at" in autosaved.text
    response = dentist.post(
        edit_url, {**form, "preparation_notes": "Shoulder.", "action": "submit"}
    )
    assert response.status_code == 302 and "/edit/" not in response.url
    page = dentist.get(response.url)
    assert "Submitted" in page.text and "Jane" in page.text and "Shoulder." in page.text


def test_an_incomplete_prescription_shows_what_is_missing(world, patient):
    order = draft_order(
        world, patient, items=[{"restoration_type": "implant_crown", "teeth": [36]}]
    )
    dentist = _client(world, "dentist", "practice")
    page = dentist.post(
        reverse("order_edit", args=[order.public_id]),
        {
            "lab": str(world.lab.public_id),
            "due_date": order.due_date.isoformat(),
            "items-1-restoration_type": "implant_crown",
            "items-1-teeth": ["36"],
            "action": "submit",
        },
    )
    assert page.status_code == 302  # saved; the editor (a GET: reload-safe) says what is missing
    page = dentist.get(page.url)
    assert "The prescription is not complete yet" in page.text
    assert "Choose the implant system and platform from the implant library." in page.text
    assert (
        access.order_access(acting(world.dentist, world.practice), order.public_id).state == "draft"
    )


def test_the_lab_works_the_order_from_its_inbox_and_never_sees_the_patient(world, patient):
    order = draft_order(world, patient)
    services.order_transition(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, transition="submit"
    )
    manager = _client(world, "manager", "lab")
    inbox = manager.get(reverse("order_list") + "?view=new")
    assert order.reference in inbox.text and patient.pseudonym in inbox.text
    page = manager.get(reverse("order_detail", args=[order.public_id]))
    assert "Accept" in page.text and "Return date you promise" in page.text
    response = manager.post(reverse("order_step", args=[order.public_id]), {"transition": "accept"})
    assert response.status_code == 302
    designer = Membership.objects.get(user=world.designer)
    manager.post(
        reverse("order_assign", args=[order.public_id]), {"member": str(designer.public_id)}
    )
    manager.post(reverse("order_message", args=[order.public_id]), {"body": "Which shade tab?"})
    for url in (
        reverse("order_list") + "?view=all",
        reverse("order_detail", args=[order.public_id]),
    ):
        text = manager.get(url).text
        for identifying in ("Jane", "Doe", patient.email or "@@"):
            assert identifying not in text, (url, identifying)
        # The year of birth in any date format, but not four digits inside a random UUID.
        assert not re.search(r"(?<![0-9a-f-])1980(?![0-9a-f])", text), (url, "1980")
    designer_page = _client(world, "designer", "lab").get(
        reverse("order_detail", args=[order.public_id])
    )
    assert designer_page.status_code == 200 and "Which shade tab?" in designer_page.text
    assert "Start the design" in designer_page.text


def test_the_inbox_has_constant_queries(world, patient, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = _client(world, "manager", "lab")
    counts = []
    for n in (1, 6):
        while len(access.orders_query(acting(world.manager, world.lab))[0]) < n:
            order = draft_order(world, patient)
            services.order_transition(
                actor=acting(world.dentist, world.practice),
                order_id=order.public_id,
                transition="submit",
            )
        with CaptureQueriesContext(connection) as queries:
            assert manager.get(reverse("order_list") + "?view=all").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_order_page_has_one_selector_with_constant_queries(world, patient):
    """Both sides' order page ask the same number of queries with 1 or 6 messages and 1 or 4
    restorations (its one selector, orders.selectors.order_page); the one write is the read
    receipts of the thread, made by the page, not the selector."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dentalbridge.orders.selectors import order_page
    from dentalbridge.orders.tests.conftest import crown

    dentist = acting(world.dentist, world.practice)
    counts: dict[str, list[int]] = {"practice": [], "lab": []}
    for messages, teeth in ((1, [11]), (6, [11, 12, 13, 14])):
        order = draft_order(world, patient, items=[crown(teeth=[t]) for t in teeth])
        services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")
        for n in range(messages):
            services.order_message_post(actor=dentist, order_id=order.public_id, body=f"Note {n}")
        for side, client in (
            ("practice", _client(world, "dentist", "practice")),
            ("lab", _client(world, "manager", "lab")),
        ):
            with CaptureQueriesContext(connection) as queries:
                page = client.get(reverse("order_detail", args=[order.public_id]))
            assert page.status_code == 200
            counts[side].append(len(queries))
    assert counts["practice"][0] == counts["practice"][1]
    assert counts["lab"][0] == counts["lab"][1]

    seen = access.order_access(acting(world.manager, world.lab), order.public_id)
    with CaptureQueriesContext(connection) as queries:
        page = order_page(acting(world.manager, world.lab), seen)
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == [] or all("audit" in sql.lower() for sql in writes)
    assert len(page["messages_"]) == 6
