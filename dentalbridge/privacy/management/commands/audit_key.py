from typing import Any

from django.core.management.base import BaseCommand

from dentalbridge.privacy import audit


class Command(BaseCommand):
    help = (
        "Print a new audit key entry (id:key) to put first in AUDIT_KEYS; keep the old ones after "
        "it, so the rows they signed still verify (PRV-6)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(audit.new_key_entry())
