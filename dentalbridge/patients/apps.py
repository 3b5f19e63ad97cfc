from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "dentalbridge.patients"
    label = "patients"
