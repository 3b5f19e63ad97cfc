from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "dentalbridge.messaging"
    label = "messaging"
