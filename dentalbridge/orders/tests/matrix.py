"""Authorization-matrix rows of orders: orders, the lab's calendar and catalogue, the implant
library.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from datetime import date

from conftest import acting
from dentalbridge.orders import access as orders_access
from dentalbridge.organizations.models import LabConnection, Membership
from dentalbridge.patients.tests.matrix import new_patient
from tests.matrix import LOGIN, NA, Case


def an_order(state="submitted"):
    """{"order_id": …} of an order of Smile Studio at Precision Lab, placed in ``state``."""

    def make(w):
        from dentalbridge.orders.tests.conftest import draft_order, put_in
        from dentalbridge.organizations.models import ConnectionStatus

        LabConnection.objects.get_or_create(
            practice=w.practice, lab=w.lab, defaults={"status": ConnectionStatus.ACCEPTED}
        )
        order = draft_order(w, new_patient(w))
        if state != "draft":
            put_in(order, state)
        return {"order_id": order.public_id}

    return make


def an_order_with_a_scan(w):
    from dentalbridge.files.tests.factories import stored_scan

    ids = an_order("info_requested")(w)
    patient = orders_access.order_patient(
        orders_access.order_access(acting(w.owner, w.practice), ids["order_id"])
    )
    w.scan_item_id = stored_scan(acting(w.owner, w.practice), patient).item.public_id
    return ids


def an_order_assignment(w):
    from dentalbridge.orders import services as orders

    ids = an_order("accepted")(w)
    technician = Membership.objects.get(user=w.technician)
    assignment = orders.order_assign(
        actor=acting(w.manager, w.lab), member_id=technician.public_id, **ids
    )
    return {**ids, "assignment_id": assignment.public_id}


def a_lab_platform(w):
    from dentalbridge.orders.implant_catalogue import seed
    from dentalbridge.orders.models import ImplantManufacturer, ImplantPlatform, ImplantSystem

    seed(ImplantManufacturer, ImplantSystem, ImplantPlatform)
    shared = ImplantPlatform.objects.filter(organization=None).select_related("system").first()
    own = ImplantPlatform.objects.create(system=shared.system, name="Own XL", organization=w.lab)
    return {"platform_id": own.public_id}


def a_closure(w):
    from dentalbridge.orders.models import LabClosure

    closure = LabClosure.objects.create(
        lab=w.lab, first_day=date(2099, 12, 24), last_day=date(2099, 12, 24)
    )
    return {"closure_id": closure.public_id}


def a_product(w):
    from dentalbridge.orders.models import LabProduct

    product = LabProduct.objects.create(lab=w.lab, restoration_type="crown", material="pmma")
    return {"product_id": product.public_id}


def a_patient_with_connection(w):
    from dentalbridge.organizations.models import ConnectionStatus

    LabConnection.objects.get_or_create(
        practice=w.practice, lab=w.lab, defaults={"status": ConnectionStatus.ACCEPTED}
    )
    return {"patient_id": new_patient(w).public_id}


ROWS: dict[str, Case] = {
    "patients/<uuid:patient_id>/orders/new/": Case(
        method="post",
        kwargs=a_patient_with_connection,
        right=("assistant", 302),
        wrong=NA("every practice role may draft an order (only clinicians send it)"),
        other=("other_owner", 404),
    ),
    "orders/": Case(
        right=("technician", 200),
        wrong=NA("every practice or lab role; a designer sees only assigned orders"),
        other=NA("lists only the acting organization's orders"),
    ),
    "orders/<uuid:order_id>/": Case(
        kwargs=an_order(),
        right=("technician", 200),
        wrong=("designer", 404),  # not assigned to it
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/edit/": Case(
        kwargs=an_order("draft"),
        right=("assistant", 200),
        wrong=NA("every practice role may edit a draft; the lab never sees drafts"),
        other=("other_owner", 404),
    ),
    "orders/<uuid:order_id>/autosave/": Case(
        method="post",
        kwargs=an_order("draft"),
        data=lambda w: {"preparation_notes": "Chamfer."},
        right=("dentist", 200),
        wrong=NA("every practice role may edit a draft"),
        other=("other_owner", 404),
    ),
    "orders/<uuid:order_id>/step/": Case(
        method="post",
        kwargs=an_order(),
        data=lambda w: {"transition": "accept"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/assign/": Case(
        method="post",
        kwargs=an_order("accepted"),
        data=lambda w: {"member": str(Membership.objects.get(user=w.designer).public_id)},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/assign/<uuid:assignment_id>/end/": Case(
        method="post",
        kwargs=an_order_assignment,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/return-date/": Case(
        method="post",
        kwargs=an_order("accepted"),
        data=lambda w: {"return_date": "2099-01-07"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/messages/": Case(
        method="post",
        kwargs=an_order(),
        data=lambda w: {"body": "Which shade tab?"},
        right=("technician", 302),
        wrong=("designer", 404),  # not assigned to it
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/remake/": Case(
        method="post",
        kwargs=an_order("delivered"),
        data=lambda w: {"reason": "fit", "note": "Open margin."},
        right=("dentist", 302),
        wrong=NA("every practice role may draft a remake"),
        other=("other_owner", 404),
    ),
    "orders/<uuid:order_id>/files/": Case(
        method="post",
        kwargs=an_order("info_requested"),
        data=lambda w: {"item": "00000000-0000-0000-0000-000000000000"},
        right=("assistant", 302),
        wrong=NA("every practice role may add files"),
        other=("other_owner", 404),
    ),
    "implants/": Case(
        right=("technician", 200),
        wrong=NA("every practice, lab and platform-staff role reads the library"),
        other=NA("the shared library and the acting lab's own additions"),
    ),
    "implants/<uuid:platform_id>/remove/": Case(
        method="post",
        kwargs=a_lab_platform,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "lab/settings/": Case(
        right=("manager", 200),
        wrong=("technician", 403),
        other=NA("edits only the acting lab's own settings"),
    ),
    "lab/settings/closures/": Case(
        method="post",
        data=lambda w: {"first_day": "2099-12-24", "reason": "Holiday"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=NA("adds to the acting lab's own calendar"),
    ),
    "lab/settings/closures/<uuid:closure_id>/remove/": Case(
        method="post",
        kwargs=a_closure,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "lab/settings/products/": Case(
        method="post",
        data=lambda w: {"restoration_type": "crown", "material": "zirconia", "lead_days": "5"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=NA("adds to the acting lab's own catalogue"),
    ),
    "lab/settings/products/<uuid:product_id>/remove/": Case(
        method="post",
        kwargs=a_product,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "api/v1/orders/": Case(
        api=True,
        right=("technician", 200),
        wrong=NA("every practice or lab role; a designer sees only assigned orders"),
        other=NA("lists only the acting organization's orders"),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/": Case(
        api=True,
        kwargs=an_order(),
        right=("technician", 200),
        wrong=("designer", 404),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/steps/": Case(
        api=True,
        method="post",
        kwargs=an_order(),
        data=lambda w: {"transition": "accept"},
        right=("manager", 200),
        wrong=("technician", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/attachments/": Case(
        api=True,
        method="post",
        kwargs=an_order_with_a_scan,
        data=lambda w: {"item": str(w.scan_item_id)},
        right=("assistant", 201),
        wrong=NA("every practice role may add files"),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/messages/": Case(
        api=True,
        kwargs=an_order(),
        right=("technician", 200),
        wrong=("designer", 404),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/assignments/": Case(
        api=True,
        method="post",
        kwargs=an_order("accepted"),
        data=lambda w: {"member": str(Membership.objects.get(user=w.designer).public_id)},
        right=("manager", 201),
        wrong=("technician", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/assignments/<uuid:assignment_id>/": Case(
        api=True,
        method="delete",
        kwargs=an_order_assignment,
        right=("manager", 200),
        wrong=("technician", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/implants/": Case(
        api=True,
        right=("technician", 200),
        wrong=NA("every practice and lab role reads the library"),
        other=NA("the shared library and the acting lab's own additions"),
        anon=401,
    ),
}

# Patient data per persona: see PATIENT_DATA in dentalbridge/patients/tests/matrix.py.
PATIENT_DATA = {
    # The lab works the order under the pseudonym; its unassigned designer does not see it.
    "order_detail": (("order_id",), (200, 200, 200, 404, 200, 404, 404, 404, LOGIN)),
    "order_edit": (("order_id",), (302, 302, 302, 404, 404, 404, 404, 404, LOGIN)),
    "order_list": ((), (200, 200, 200, 200, 200, 200, 404, 404, LOGIN)),
}
PATIENT_DATA_SKIPPED = {
    "patient_order_create": "POST: a new draft order (general matrix)",
    "order_autosave": "POST actions on an order (general matrix)",
    "order_step": "POST actions on an order (general matrix)",
    "order_assign": "POST actions on an order (general matrix)",
    "order_unassign": "POST actions on an order (general matrix)",
    "order_return_date": "POST actions on an order (general matrix)",
    "order_message": "POST actions on an order (general matrix)",
    "order_remake": "POST actions on an order (general matrix)",
    "order_attach": "POST actions on an order (general matrix)",
}
