import sys
from typing import Any

from django.core.management.base import BaseCommand

from dentalbridge.privacy import audit


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain and report the first broken link (PRV-6)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        if result.ok:
            self.stdout.write(f"Audit chain intact: {result.checked} events verified.")
            return
        self.stderr.write(
            f"Audit chain BROKEN after {result.checked} good events: {result.first_break}"
        )
        sys.exit(1)
