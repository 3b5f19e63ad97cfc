"""``manage.py db_worker``: django-tasks-db's worker, which also says it is alive.

The same command and options as django-tasks-db's (this app comes first in ``INSTALLED_APPS``),
plus what ``core.workers`` describes: the worker registers itself, beats every
``WORKER_BEAT_SECONDS`` and, when it starts and at every beat, fails the tasks of workers that
went silent and lets the apps clean up after workers killed on this machine.
"""

from django_tasks_db.management.commands import db_worker

from dentalbridge.core.workers import Heart


class Command(db_worker.Command):
    help = db_worker.Command.help

    def handle(self, *args, **options):
        self.configure_logging(options["verbosity"])
        heart = Heart(options["worker_id"])
        heart.start()
        try:
            return super().handle(*args, **options)
        finally:
            heart.stop()
