from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "dentalbridge.orders"
    label = "orders"
    door_keeper = True  # its access.py may open the door to patient data (privacy.door)

    def ready(self):
        # The orders' door keeper registers what a designer assigned to an order reaches among
        # the lab's shares (files.access.designer_share_source_register).
        from dentalbridge.orders import access  # noqa: F401
