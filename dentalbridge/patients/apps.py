from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "dentalbridge.patients"
    label = "patients"
    door_keeper = True  # its access.py may open the door to patient data (privacy.door)
