"""Design approval (ORD-3, FIL-6): the lab uploads design files for an order through the files
pipeline (checked, anonymized, previewed); the practice sees them next to the scan, approves or
asks for changes; manufacturing waits for the approval; the design is delivered digitally."""

import pytest
from django.test import TestCase
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.core.errors import Conflict, NotFound
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.orders import access, selectors, services
from dentalbridge.orders.tests.conftest import draft_order
from dentalbridge.organizations.models import Membership
from dentalbridge.patients import access as patients_access

DESIGN = tus.cube_stl(b"exocad design Jane Doe", size=9.0)


def _scan(world, patient):
    """A scan uploaded by the practice through the whole pipeline (so it has a 3D preview)."""
    client = _client(world.dentist, world.practice)
    data = tus.cube_stl(b"Jane Doe upper")
    created = tus.create(client, len(data), filename="upper.stl", patient=patient.public_id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tus.patch(client, created["Location"], 0, data).status_code == 204
    return patients_access.record_of(patient).first()


def _in_design(world, patient):
    scan = _scan(world, patient)
    order = draft_order(world, patient)
    dentist = acting(world.dentist, world.practice)
    services.order_attach(actor=dentist, order_id=order.public_id, item_id=scan.public_id)
    services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")
    manager = acting(world.manager, world.lab)
    services.order_transition(actor=manager, order_id=order.public_id, transition="accept")
    services.order_assign(
        actor=manager,
        order_id=order.public_id,
        member_id=Membership.objects.get(user=world.designer).public_id,
    )
    services.order_transition(
        actor=acting(world.designer, world.lab), order_id=order.public_id, transition="start_design"
    )
    return order


def _client(user, org):
    return client_for(user, membership=Membership.objects.get(user=user, organization=org))


def _upload(client, order, data=DESIGN, filename="crown 11 design.stl"):
    created = tus.create(client, len(data), filename=filename, order=order.public_id)
    if created.status_code != 201:
        return created
    with TestCase.captureOnCommitCallbacks(execute=True):
        return tus.patch(client, created["Location"], 0, data)


@pytest.mark.django_db(transaction=False)
def test_the_designer_uploads_a_design_the_practice_approves_it(world, patient, local_files):  # noqa: F811
    order = _in_design(world, patient)
    designer = acting(world.designer, world.lab)
    with pytest.raises(Conflict, match="Upload the design files first"):
        services.order_transition(
            actor=designer, order_id=order.public_id, transition="submit_design"
        )
    assert _upload(_client(world.designer, world.lab), order).status_code == 204
    assert selectors.design_files_ready(access.order_row(designer, order.public_id))
    services.order_transition(actor=designer, order_id=order.public_id, transition="submit_design")

    practice = _client(world.dentist, world.practice)
    page = practice.get(reverse("order_detail", args=[order.public_id]))
    assert "crown 11 design.stl" in page.text  # the practice sees the file as uploaded
    assert "data-mesh-viewer" in page.text
    assert "&quot;group&quot;: &quot;b&quot;" in page.text  # the design next to the scan
    lab_page = _client(world.designer, world.lab).get(
        reverse("order_detail", args=[order.public_id])
    )
    assert "crown 11 design.stl" not in lab_page.text  # the lab's copy has a generated name
    assert f"{patient.pseudonym}-design-v1.stl" in lab_page.text

    response = practice.post(
        reverse("order_step", args=[order.public_id]),
        {"transition": "request_changes", "reason": "Contact point 11/21 too light."},
    )
    assert response.status_code == 302
    order = access.order_access(designer, order.public_id)
    assert order.state == "in_design"
    assert _upload(_client(world.designer, world.lab), order, filename="v2.stl").status_code == 204
    services.order_transition(actor=designer, order_id=order.public_id, transition="submit_design")
    practice.post(reverse("order_step", args=[order.public_id]), {"transition": "approve_design"})
    order = access.order_access(acting(world.manager, world.lab), order.public_id)
    assert order.state == "in_production"
    with pytest.raises(NotFound):  # the designer's access ended with the approval
        access.order_access(designer, order.public_id)


@pytest.mark.django_db(transaction=False)
def test_who_may_upload_a_design_and_what(world, patient, local_files):  # noqa: F811
    order = _in_design(world, patient)
    technician = _client(world.technician, world.lab)
    assert _upload(technician, order, filename="design.pdf").status_code == 400
    assert _upload(_client(world.other_manager, world.other_lab), order).status_code == 404
    assert _upload(_client(world.owner, world.practice), order).status_code == 404
    manager = acting(world.manager, world.lab)
    assignment = access.order_assignments(order)[0]
    services.order_unassign(
        actor=manager, order_id=order.public_id, assignment_id=assignment.public_id
    )
    assert _upload(_client(world.designer, world.lab), order).status_code == 404
    assert _upload(technician, order, filename="shot.png", data=b"not a png").status_code in (
        400,
        415,
        422,
    )
    assert _upload(technician, order).status_code == 204
    designs = [a for a in access.order_attachments(order) if a.kind == "design"]
    assert len(designs) == 1 and designs[0].share.lab == world.lab


@pytest.mark.django_db(transaction=False)
def test_an_upload_finished_after_the_order_moved_on_is_refused(world, patient, local_files):  # noqa: F811
    from dentalbridge.orders.tests.conftest import put_in

    order = _in_design(world, patient)
    client = _client(world.technician, world.lab)
    created = tus.create(client, len(DESIGN), filename="late.stl", order=order.public_id)
    assert created.status_code == 201
    put_in(order, "in_production")  # the practice approved another design meanwhile
    with TestCase.captureOnCommitCallbacks(execute=True):
        finished = tus.patch(client, created["Location"], 0, DESIGN)
    assert finished.status_code == 409, finished.content
    assert not [a for a in access.order_attachments(order) if a.kind == "design"]
