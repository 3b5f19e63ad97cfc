"""Routes of orders (ORD-1…ORD-8): the practice's orders or the lab's inbox, the order page, the
lab's calendar and catalogue, the implant library.

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from django.urls import path

from dentalbridge.orders import api, lab_views, views

order = "orders/<uuid:order_id>"

urlpatterns = [
    path(
        "patients/<uuid:patient_id>/orders/new/",
        views.patient_order_create,
        name="patient_order_create",
    ),
    path("orders/", views.order_list, name="order_list"),
    path(f"{order}/", views.order_detail, name="order_detail"),
    path(f"{order}/edit/", views.order_edit, name="order_edit"),
    path(f"{order}/autosave/", views.order_autosave, name="order_autosave"),
    path(f"{order}/step/", views.order_step, name="order_step"),
    path(f"{order}/assign/", views.order_assign, name="order_assign"),
    path(
        f"{order}/assign/<uuid:assignment_id>/end/",
        views.order_unassign,
        name="order_unassign",
    ),
    path(f"{order}/return-date/", views.order_return_date, name="order_return_date"),
    path(f"{order}/messages/", views.order_message, name="order_message"),
    path(f"{order}/remake/", views.order_remake, name="order_remake"),
    path(f"{order}/files/", views.order_attach, name="order_attach"),
    path("implants/", lab_views.implant_library, name="implant_library"),
    path("implants/<uuid:platform_id>/remove/", lab_views.implant_remove, name="implant_remove"),
    path("lab/settings/", lab_views.lab_settings, name="lab_settings"),
    path("lab/settings/closures/", lab_views.lab_closure_add, name="lab_closure_add"),
    path(
        "lab/settings/closures/<uuid:closure_id>/remove/",
        lab_views.lab_closure_remove,
        name="lab_closure_remove",
    ),
    path("lab/settings/products/", lab_views.lab_product_add, name="lab_product_add"),
    path(
        "lab/settings/products/<uuid:product_id>/remove/",
        lab_views.lab_product_remove,
        name="lab_product_remove",
    ),
]

api_urlpatterns = [
    path("orders/", api.OrderListView.as_view(), name="api_orders"),
    path(f"{order}/", api.OrderDetailView.as_view(), name="api_order"),
    path(f"{order}/steps/", api.OrderStepView.as_view(), name="api_order_step"),
    path(
        f"{order}/attachments/",
        api.OrderAttachmentsView.as_view(),
        name="api_order_attachments",
    ),
    path(f"{order}/messages/", api.OrderMessagesView.as_view(), name="api_order_messages"),
    path(
        f"{order}/assignments/",
        api.OrderAssignmentsView.as_view(),
        name="api_order_assignments",
    ),
    path(
        f"{order}/assignments/<uuid:assignment_id>/",
        api.OrderAssignmentView.as_view(),
        name="api_order_assignment",
    ),
    path("implants/", api.ImplantLibraryView.as_view(), name="api_implants"),
]
