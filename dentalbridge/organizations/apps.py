from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "dentalbridge.organizations"
    label = "organizations"
