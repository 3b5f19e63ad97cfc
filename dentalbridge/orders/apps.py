from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "dentalbridge.orders"
    label = "orders"
    door_keeper = True  # its access.py may open the door to patient data (privacy.door)

    def ready(self):
        # The orders' door keeper registers what a designer assigned to an order reaches among
        # the lab's shares (files.access.designer_share_source_register).
        from dentalbridge.files.uploads import order_files_register
        from dentalbridge.orders import access, pages  # noqa: F401 — see above; page sections
        from dentalbridge.orders.file_uploads import OrderFiles

        # Uploads tied to an order ask the orders app where they go (files.uploads.OrderFiles).
        order_files_register(OrderFiles())
