"""Routes of orders (ORD-1…ORD-8): the practice's orders or the lab's inbox, the order page, the
lab's calendar and catalogue, the implant library.

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from dentalbridge.core.routes import endpoint, page
from dentalbridge.orders import api, lab_views, views

order = "orders/<uuid:order_id>"

urlpatterns = [
    page("patients/<uuid:patient_id>/orders/new/", views.patient_order_create),
    page("orders/", views.order_list),
    page(f"{order}/", views.order_detail),
    page(f"{order}/edit/", views.order_edit),
    page(f"{order}/autosave/", views.order_autosave),
    page(f"{order}/step/", views.order_step),
    page(f"{order}/assign/", views.order_assign),
    page(f"{order}/assign/<uuid:assignment_id>/end/", views.order_unassign),
    page(f"{order}/return-date/", views.order_return_date),
    page(f"{order}/messages/", views.order_message),
    page(f"{order}/remake/", views.order_remake),
    page(f"{order}/files/", views.order_attach),
    page("implants/", lab_views.implant_library),
    page("implants/<uuid:platform_id>/remove/", lab_views.implant_remove),
    page("lab/settings/", lab_views.lab_settings),
    page("lab/settings/closures/", lab_views.lab_closure_add),
    page("lab/settings/closures/<uuid:closure_id>/remove/", lab_views.lab_closure_remove),
    page("lab/settings/products/", lab_views.lab_product_add),
    page("lab/settings/products/<uuid:product_id>/remove/", lab_views.lab_product_remove),
]

api_urlpatterns = [
    endpoint("orders/", api.OrderListView, "api_orders"),
    endpoint(f"{order}/", api.OrderDetailView, "api_order"),
    endpoint(f"{order}/steps/", api.OrderStepView, "api_order_step"),
    endpoint(f"{order}/attachments/", api.OrderAttachmentsView, "api_order_attachments"),
    endpoint(f"{order}/messages/", api.OrderMessagesView, "api_order_messages"),
    endpoint(f"{order}/assignments/", api.OrderAssignmentsView, "api_order_assignments"),
    endpoint(
        f"{order}/assignments/<uuid:assignment_id>/",
        api.OrderAssignmentView,
        "api_order_assignment",
    ),
    endpoint("implants/", api.ImplantLibraryView, "api_implants"),
]
