import sys
from typing import Any

from django.core.management.base import BaseCommand

from dentalbridge.privacy import audit


class Command(BaseCommand):
    help = (
        "Recompute the audit log's keyed hash chain, compare it with the signed checkpoints kept "
        "outside the database and check the append-only guard; report the first place that does "
        "not match (PRV-6). A good run writes a new checkpoint."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit.verify()
        matched = (
            f"; it matches the {result.checkpoint}"
            if result.checkpoint
            else "; no earlier checkpoint to compare with"
        )
        if result.ok:
            self.stdout.write(f"Audit chain intact: {result.checked} events verified{matched}.")
            return
        self.stderr.write(
            f"Audit chain BROKEN after {result.checked} good events: {result.first_break}"
            + (f" (last checkpoint matched: {result.checkpoint})" if result.checkpoint else "")
        )
        sys.exit(1)
