from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dentalbridge.api"
    label = "api"
