"""The mechanical half of "one door to patient data" (non-negotiable 3, STYLE.md §2).

Every model that holds patient data uses ``GuardedManager`` as its default manager. It refuses to
build a queryset unless the caller is inside ``through_the_door()``, which only the access layer
(``privacy/access.py``) opens — after it has checked the policy and while it writes the audit
event. So ``Patient.objects.filter(...)`` in a view raises ``AccessLayerBypass`` at run time, and
``privacy/tests/test_patient_door.py`` also fails the build if any module other than the access
layer names the door or the managers of those models.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

_open: ContextVar[bool] = ContextVar("patient_data_door_open", default=False)


class AccessLayerBypass(RuntimeError):
    """Patient data was queried without going through dentalbridge.privacy.access."""


@contextmanager
def through_the_door():
    token = _open.set(True)
    try:
        yield
    finally:
        _open.reset(token)


class GuardedManager(models.Manager):
    # Migrations get a plain manager: they move rows, they do not disclose them.
    use_in_migrations = False

    def get_queryset(self):
        if not _open.get():
            raise AccessLayerBypass(
                f"{self.model.__name__} holds patient data: query it through "
                "dentalbridge.privacy.access, which checks permission and audits."
            )
        return super().get_queryset()
