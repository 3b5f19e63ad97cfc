"""Authorization-matrix rows of orders: orders, the lab's calendar and catalogue, the implant
library.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from datetime import date

from conftest import acting
from dentalbridge.orders import access as orders_access
from dentalbridge.organizations.models import LabConnection, Membership
from dentalbridge.patients.tests.matrix import new_patient
from tests.matrix import ASSIGNED_ONLY, EVERY_PRACTICE_ROLE, LOGIN, NA, NOT_TECHNICIAN, Case, Others


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


def assign_the_designer(w):
    """Form data: assign the lab's designer to the order."""
    return {"member": str(Membership.objects.get(user=w.designer).public_id)}


# Lists of the acting organization's own orders.
OWN_ORDERS = Others(
    wrong=NA("every practice or lab role; a designer sees only assigned orders"),
    other=NA("lists only the acting organization's orders"),
)
# The lab's own settings, calendar and catalogue: its technician may not; no other lab's ids.
OWN_LAB_SETTINGS = Others(
    wrong=("technician", 403), other=NA("changes only the acting lab's own settings")
)
LIBRARY = NA("the shared library and the acting lab's own additions")


ORDER = "orders/<uuid:order_id>"  # the prefix of its routes, as in urls.py

ROWS: dict[str, Case] = {
    # Every practice role may draft an order and add files; only clinicians send it. The lab never
    # sees a draft.
    "patients/<uuid:patient_id>/orders/new/": Case.post(
        ("assistant", 302), EVERY_PRACTICE_ROLE, kwargs=a_patient_with_connection
    ),
    "orders/": Case.page(("technician", 200), OWN_ORDERS),
    f"{ORDER}/": Case.page(("technician", 200), ASSIGNED_ONLY, kwargs=an_order()),
    f"{ORDER}/edit/": Case.page(("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=an_order("draft")),
    f"{ORDER}/autosave/": Case.post(
        ("dentist", 200),
        EVERY_PRACTICE_ROLE,
        kwargs=an_order("draft"),
        data={"preparation_notes": "Chamfer."},
    ),
    f"{ORDER}/step/": Case.post(
        ("manager", 302), NOT_TECHNICIAN, kwargs=an_order(), data={"transition": "accept"}
    ),
    f"{ORDER}/assign/": Case.post(
        ("manager", 302), NOT_TECHNICIAN, kwargs=an_order("accepted"), data=assign_the_designer
    ),
    f"{ORDER}/assign/<uuid:assignment_id>/end/": Case.post(
        ("manager", 302), NOT_TECHNICIAN, kwargs=an_order_assignment
    ),
    f"{ORDER}/return-date/": Case.post(
        ("manager", 302),
        NOT_TECHNICIAN,
        kwargs=an_order("accepted"),
        data={"return_date": "2099-01-07"},
    ),
    f"{ORDER}/messages/": Case.post(
        ("technician", 302), ASSIGNED_ONLY, kwargs=an_order(), data={"body": "Which shade tab?"}
    ),
    f"{ORDER}/remake/": Case.post(
        ("dentist", 302),
        EVERY_PRACTICE_ROLE,
        kwargs=an_order("delivered"),
        data={"reason": "fit", "note": "Open margin."},
    ),
    f"{ORDER}/files/": Case.post(
        ("assistant", 302),
        EVERY_PRACTICE_ROLE,
        kwargs=an_order("info_requested"),
        data={"item": "00000000-0000-0000-0000-000000000000"},
    ),
    "implants/": Case(
        right=("technician", 200),
        wrong=NA("every practice, lab and platform-staff role reads the library"),
        other=LIBRARY,
    ),
    "implants/<uuid:platform_id>/remove/": Case.post(
        ("manager", 302), NOT_TECHNICIAN, kwargs=a_lab_platform
    ),
    "lab/settings/": Case.page(("manager", 200), OWN_LAB_SETTINGS),
    "lab/settings/closures/": Case.post(
        ("manager", 302), OWN_LAB_SETTINGS, data={"first_day": "2099-12-24", "reason": "Holiday"}
    ),
    "lab/settings/closures/<uuid:closure_id>/remove/": Case.post(
        ("manager", 302), NOT_TECHNICIAN, kwargs=a_closure
    ),
    "lab/settings/products/": Case.post(
        ("manager", 302),
        OWN_LAB_SETTINGS,
        data={"restoration_type": "crown", "material": "zirconia", "lead_days": "5"},
    ),
    "lab/settings/products/<uuid:product_id>/remove/": Case.post(
        ("manager", 302), NOT_TECHNICIAN, kwargs=a_product
    ),
    "api/v1/orders/": Case.endpoint("get", ("technician", 200), OWN_ORDERS),
    f"api/v1/{ORDER}/": Case.endpoint("get", ("technician", 200), ASSIGNED_ONLY, kwargs=an_order()),
    f"api/v1/{ORDER}/steps/": Case.endpoint(
        "post", ("manager", 200), NOT_TECHNICIAN, kwargs=an_order(), data={"transition": "accept"}
    ),
    f"api/v1/{ORDER}/attachments/": Case.endpoint(
        "post",
        ("assistant", 201),
        EVERY_PRACTICE_ROLE,
        kwargs=an_order_with_a_scan,
        data=lambda w: {"item": str(w.scan_item_id)},
    ),
    f"api/v1/{ORDER}/messages/": Case.endpoint(
        "get", ("technician", 200), ASSIGNED_ONLY, kwargs=an_order()
    ),
    f"api/v1/{ORDER}/assignments/": Case.endpoint(
        "post",
        ("manager", 201),
        NOT_TECHNICIAN,
        kwargs=an_order("accepted"),
        data=assign_the_designer,
    ),
    f"api/v1/{ORDER}/assignments/<uuid:assignment_id>/": Case.endpoint(
        "delete", ("manager", 200), NOT_TECHNICIAN, kwargs=an_order_assignment
    ),
    "api/v1/implants/": Case(
        api=True,
        right=("technician", 200),
        wrong=NA("every practice and lab role reads the library"),
        other=LIBRARY,
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
