"""The orders API (ORD-1…ORD-5): a CAD program submits a prescription with a scan and fetches
the design; the lab works its inbox; refusals carry a clear code; the lab never gets the
patient."""

import json
import re

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from conftest import acting
from dentalbridge.accounts.services import api_token_create
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.files.tests.factories import stored_scan
from dentalbridge.orders.tests.conftest import next_weekday
from dentalbridge.organizations.models import Membership


def api(user, organization) -> Client:
    secret = api_token_create(actor=acting(user, organization), name="cad", valid_days=1).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _new_order(world, patient, platform, local_files):  # noqa: F811
    from datetime import timedelta

    from django.utils import timezone

    scan = stored_scan(acting(world.owner, world.practice), patient)
    cad = api(world.dentist, world.practice)
    created = _post(
        cad,
        reverse("api_orders"),
        {
            "patient": str(patient.public_id),
            "lab": str(world.lab.public_id),
            "due_date": next_weekday(timezone.localdate() + timedelta(days=10)).isoformat(),
            "items": [
                {"restoration_type": "crown", "teeth": [11], "material": "zirconia", "shade": "A2"},
                {
                    "restoration_type": "implant_crown",
                    "teeth": [36],
                    "material": "zirconia",
                    "shade": "A3",
                    "implant_system": str(platform.system.public_id),
                    "implant_platform": str(platform.public_id),
                },
            ],
            "attachments": [str(scan.item.public_id)],
        },
    )
    return cad, created


def test_cad_software_submits_an_order_and_the_lab_works_it(world, patient, platform, local_files):  # noqa: F811
    cad, created = _new_order(world, patient, platform, local_files)
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["state"] == "draft" and order["patient"] == str(patient.public_id)
    assert [i["teeth"] for i in order["items"]] == [[11], [36]]
    assert order["items"][1]["implant"]["system"] == "Bone Level Tapered (BLT)"
    assert "submit" in order["steps"]
    sent = _post(cad, reverse("api_order_step", args=[order["id"]]), {"transition": "submit"})
    assert sent.status_code == 200 and sent.json()["state"] == "submitted"

    lab = api(world.manager, world.lab)
    inbox = lab.get(reverse("api_orders") + "?view=new")
    assert inbox.status_code == 200
    assert [o["reference"] for o in inbox.json()["results"]] == [order["reference"]]
    seen = lab.get(reverse("api_order", args=[order["id"]])).json()
    assert "patient" not in seen and seen["pseudonym"] == patient.pseudonym
    body = json.dumps(seen)
    assert "Jane" not in body and "Doe" not in body
    # The year of birth in any date format, but not four digits inside a random id or link.
    assert not re.search(r"(?<![0-9A-Za-z_-])1980(?![0-9A-Za-z_])", body)
    assert seen["files"][0]["kind"] == "prescription" and seen["files"][0]["download_url"]
    assert lab.get(seen["files"][0]["download_url"]).status_code == 200  # a bearer link
    accepted = _post(lab, reverse("api_order_step", args=[order["id"]]), {"transition": "accept"})
    assert accepted.status_code == 200 and accepted.json()["confirmed_due_date"]
    member = Membership.objects.get(user=world.designer)
    assigned = _post(
        lab, reverse("api_order_assignments", args=[order["id"]]), {"member": str(member.public_id)}
    )
    assert assigned.status_code == 201 and assigned.json()["kind"] == "designer"
    posted = _post(lab, reverse("api_order_messages", args=[order["id"]]), {"body": "Shade tab?"})
    assert posted.status_code == 201
    assert [
        m["body"] for m in cad.get(reverse("api_order_messages", args=[order["id"]])).json()
    ] == ["Shade tab?"]
    ended = lab.delete(reverse("api_order_assignment", args=[order["id"], assigned.json()["id"]]))
    assert ended.status_code == 200 and ended.json()["ended_at"]


def test_refusals_say_why_with_a_code(world, patient, platform, local_files):  # noqa: F811
    cad, created = _new_order(world, patient, platform, local_files)
    order = created.json()
    url = reverse("api_order_step", args=[order["id"]])
    lab = api(world.manager, world.lab)
    assert lab.get(reverse("api_order", args=[order["id"]])).status_code == 404  # a draft
    wrong_state = _post(cad, url, {"transition": "approve_design"})
    assert wrong_state.status_code == 409
    assert wrong_state.json()["error"]["code"] == "transition_not_from_state"
    assistant = api(world.assistant, world.practice)
    wrong_role = _post(assistant, url, {"transition": "submit"})
    assert wrong_role.status_code == 403
    assert wrong_role.json()["error"]["code"] == "transition_not_for_role"
    bad = cad.patch(
        reverse("api_order", args=[order["id"]]),
        json.dumps({"items": [{"restoration_type": "bridge", "teeth": [18, 28], "pontics": [19]}]}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "items.1.pontics" in bad.json()["error"]["fields"]
    other = api(world.other_owner, world.other_practice)
    assert other.get(reverse("api_order", args=[order["id"]])).status_code == 404
    assert (
        _post(other, reverse("api_orders"), {"patient": str(patient.public_id)}).status_code == 404
    )


def test_the_implant_library_lists_systems_and_a_labs_own(world, platform):
    from dentalbridge.orders.models import ImplantPlatform

    ImplantPlatform.objects.create(
        system=platform.system, name="Custom Ø4.0", organization=world.lab
    )
    shared = api(world.dentist, world.practice).get(reverse("api_implants")).json()
    mine = api(world.manager, world.lab).get(reverse("api_implants")).json()

    def names(data):
        return {p["name"] for m in data for s in m["systems"] for p in s["platforms"]}

    assert "NC" in names(shared) and "Custom Ø4.0" not in names(shared)
    assert "Custom Ø4.0" in names(mine)
    assert len(shared) >= 10


@pytest.mark.django_db(transaction=False)
def test_cad_software_fetches_the_design(world, patient, platform, local_files):  # noqa: F811
    from dentalbridge.orders import services
    from dentalbridge.orders.tests.conftest import put_in

    cad, created = _new_order(world, patient, platform, local_files)
    order_id = created.json()["id"]
    _post(cad, reverse("api_order_step", args=[order_id]), {"transition": "submit"})
    services.order_transition(
        actor=acting(world.manager, world.lab), order_id=order_id, transition="accept"
    )
    put_in(
        services.access.order_access(acting(world.dentist, world.practice), order_id), "in_design"
    )
    technician = Client()
    technician.force_login(world.technician)
    design = tus.cube_stl(b"design", size=9.0)
    made = tus.create(technician, len(design), filename="design.stl", order=order_id)
    assert made.status_code == 201, made.content
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tus.patch(technician, made["Location"], 0, design).status_code == 204
    files = cad.get(reverse("api_order", args=[order_id])).json()["files"]
    designs = [f for f in files if f["kind"] == "design"]
    assert designs and designs[0]["status"] == "ready" and designs[0]["name"] == "design.stl"
    download = Client().get(designs[0]["download_url"])  # a bearer link: the CAD program
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == design
