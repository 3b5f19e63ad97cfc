from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dentalbridge.accounts"
    label = "accounts"

    def ready(self) -> None:
        from dentalbridge.accounts import receivers  # noqa: F401  (connects the audit receivers)
