from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "dentalbridge.patients"
    label = "patients"
    door_keeper = True  # its access.py may open the door to patient data (privacy.door)

    def ready(self):
        from dentalbridge.accounts.middleware import reaches_health_data_register
        from dentalbridge.patients import pages  # noqa: F401 — its section of the dashboard
        from dentalbridge.patients.access import is_patient_user

        # A patient who sees their own record in the portal needs a second factor (ACC-3).
        reaches_health_data_register(is_patient_user)
