"""After restoring a backup: erase again what erasures since the backup had removed."""

from django.core.management.base import BaseCommand

from dentalbridge.gdpr import erasure


class Command(BaseCommand):
    help = (
        "Replay the erasure log (ERASURE_LOG) after restoring a database or file backup: every "
        "patient, account and stored file an erasure removed is removed again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help="only erasures at or after this ISO time (the backup's time); default: all",
        )

    def handle(self, *args, since=None, **options):
        done = erasure.replay(since=since)
        self.stdout.write(
            f"{done['lines']} erasures in the log; erased again: {done['patients']} patients, "
            f"{done['users']} accounts, {done['blobs']} stored objects."
        )
