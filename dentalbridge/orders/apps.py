from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "dentalbridge.orders"
    label = "orders"
