"""No patient identity reaches the lab side of an order (ORD-2, REC-7): a byte-level search of
every page its manager, technician and designer open, the files they download, their in-app
notifications and the e-mails they receive, through a whole order's life."""

import re
from datetime import date

from django.core import mail
from django.test import TestCase
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.orders import access, services
from dentalbridge.orders.lab_view import OrderForLab, OrderRef
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.organizations.models import Membership
from dentalbridge.patients import access as patients_access
from dentalbridge.patients import services as patient_services

IDENTITY = {
    "given_name": "Henrietta",
    "family_name": "Vanderbilt-Oyelaran",
    "date_of_birth": date(1961, 11, 29),
    "email": "henrietta.vo@mail.example",
    "phone": "+31 6 1234 9876",
    "address": "Keizersgracht 991, Amsterdam",
    "external_reference": "DOSSIER-55231",
}
SECRETS = [
    "Henrietta",
    "Vanderbilt",
    "Oyelaran",
    "1961-11-29",
    "29/11/1961",
    "29-11-1961",
    "29.11.1961",
    "henrietta.vo",
    "1234 9876",
    "Keizersgracht",
    "DOSSIER-55231",
]


def _client(user, org):
    return client_for(user, membership=Membership.objects.get(user=user, organization=org))


def test_the_lab_side_of_an_order_carries_no_patient_identity(world, connected, local_files):  # noqa: F811
    owner = acting(world.owner, world.practice)
    patient = patient_services.patient_create(
        actor=owner, attending_dentist=world.dentist, **IDENTITY
    )
    dentist_client = _client(world.dentist, world.practice)
    scan = tus.cube_stl(b"Henrietta Vanderbilt-Oyelaran 1961-11-29")
    created = tus.create(
        dentist_client, len(scan), filename="Henrietta upper.stl", patient=patient.public_id
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        tus.patch(dentist_client, created["Location"], 0, scan)
    item = patients_access.record_of(patient).first()
    order = draft_order(world, patient, technical_notes="Light contacts.")
    dentist = acting(world.dentist, world.practice)
    services.order_attach(actor=dentist, order_id=order.public_id, item_id=item.public_id)
    manager, designer = acting(world.manager, world.lab), acting(world.designer, world.lab)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")
        services.order_transition(actor=manager, order_id=order.public_id, transition="accept")
        services.order_assign(
            actor=manager,
            order_id=order.public_id,
            member_id=Membership.objects.get(user=world.designer).public_id,
        )
        services.order_message_post(actor=dentist, order_id=order.public_id, body="Thanks.")
        services.order_transition(
            actor=designer, order_id=order.public_id, transition="start_design"
        )
    design = tus.cube_stl(b"design", size=9.0)
    designer_client = _client(world.designer, world.lab)
    created = tus.create(designer_client, len(design), filename="d.stl", order=order.public_id)
    with TestCase.captureOnCommitCallbacks(execute=True):
        tus.patch(designer_client, created["Location"], 0, design)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.order_transition(
            actor=designer, order_id=order.public_id, transition="submit_design"
        )

    seen: list[bytes] = []
    for user in (world.manager, world.technician, world.designer):
        client = _client(user, world.lab)
        pages = [reverse("order_list") + f"?view={v}" for v in ("new", "open", "all", "done")]
        pages += [reverse("order_detail", args=[order.public_id]), reverse("notification_list")]
        for attachment in access.order_attachments(order):
            if attachment.share is not None:
                pages.append(reverse("lab_share_detail", args=[attachment.share.public_id]))
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (user, url)
            seen.append(response.content)
            for link in set(re.findall(r'/files/d/[^"\s]+/', response.content.decode())):
                download = client.get(link)
                assert download.status_code == 200, link
                seen.append(b"".join(download.streaming_content))
    lab_people = {world.manager.email, world.technician.email, world.designer.email}
    lab_mail = [m for m in mail.outbox if m.to[0] in lab_people]
    assert lab_mail, "the lab was told about the order"
    for message in lab_mail:
        seen.append((message.subject + message.body + message.alternatives[0][0]).encode())
    blob = b"\n".join(seen)
    assert patient.pseudonym.encode() in blob and order.reference.encode() in blob
    blob = re.sub(rb"/files/d/[^/\"'\s]+/", b"/files/d/<link>/", blob)
    blob = blob.replace(patient.pseudonym.encode(), b"<pseudonym>")
    for secret in SECRETS:
        for form in {secret, secret.upper(), secret.lower()}:
            assert form.encode() not in blob, f"{form!r} reached the lab"


def test_the_lab_side_is_handed_an_order_for_lab_never_the_row(world, patient):
    """The order page, the inbox and the remakes on an order give a lab member ``OrderForLab``s:
    a template cannot follow ``order.patient`` to the record even by mistake (a row's relation
    would load it without the door)."""
    dentist = acting(world.dentist, world.practice)
    original = put_in(draft_order(world, patient), "delivered")
    remake = services.order_remake(
        actor=dentist, order_id=original.public_id, reason="fit", note="Too tight."
    )
    put_in(remake, "submitted")
    manager = _client(world.manager, world.lab)
    page = manager.get(reverse("order_detail", args=[remake.public_id]))
    assert page.status_code == 200
    seen = page.context["order"]
    assert isinstance(seen, OrderForLab)
    assert (type(seen.remake_of), seen.remake_of.reference) == (OrderRef, original.reference)
    lab = acting(world.manager, world.lab)
    remakes = access.order_remakes(access.order_access(lab, original.public_id, audit=False))
    assert [(type(r), r.reference) for r in remakes] == [(OrderForLab, remake.reference)]
    inbox = manager.get(reverse("order_list") + "?view=all")
    rows = list(inbox.context["page"])
    assert [type(row) for row in rows] == [OrderForLab, OrderForLab]
    assert not any(hasattr(row, "patient") for row in rows)
    assert {row.remake_of.reference for row in rows if row.remake_of} == {original.reference}
    page = _client(world.dentist, world.practice).get(
        reverse("order_detail", args=[original.public_id])
    )
    assert page.context["order"].patient == patient  # the practice keeps its row
