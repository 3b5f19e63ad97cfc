from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "dentalbridge.files"
    label = "files"
