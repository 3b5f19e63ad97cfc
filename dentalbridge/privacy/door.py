"""The mechanical half of "one door to patient data" (non-negotiable 3, STYLE.md §2).

Every model that holds patient data uses ``GuardedManager`` as its default manager. It refuses to
build a queryset unless the caller is inside ``through_the_door()``, which only a registered door
keeper opens — an app's ``access.py``, declared by ``door_keeper = True`` on its ``AppConfig`` —
after it has checked the policy and while it writes the audit event.

So ``Patient.objects.filter(...)`` in a view raises ``AccessLayerBypass`` at run time; opening the
door from any other module raises it too; and ``privacy/tests/test_patient_door.py`` fails the
build if any module but the keepers names the door or the managers of those models.
"""

import sys
from contextvars import ContextVar, Token
from functools import cache
from pathlib import PurePath
from types import TracebackType
from typing import Literal, Self

from django.apps import apps
from django.db import models

_open: ContextVar[bool] = ContextVar("patient_data_door_open", default=False)


class AccessLayerBypass(RuntimeError):
    """Patient data was queried without going through an app's access module (door keeper)."""


@cache
def keepers() -> frozenset[str]:
    """The modules that may open the door: ``<app>.access`` of every app whose config says
    ``door_keeper = True``."""
    return frozenset(
        f"{config.name}.access"
        for config in apps.get_app_configs()
        if getattr(config, "door_keeper", False)
    )


def _is_test_code(filename: str) -> bool:
    # Tests and benchmarks set up and inspect rows directly; they are not part of the running
    # platform, and the source check (test_patient_door.py) covers everything that is.
    path = PurePath(filename)
    return bool({"tests", "bench"} & set(path.parts[:-1])) or path.name.startswith(
        ("test_", "conftest")
    )


class through_the_door:
    """Open the door for the enclosed block; only a registered keeper (or test code) may."""

    _token: Token[bool]

    def __enter__(self) -> Self:
        frame = sys._getframe(1)
        caller = frame.f_globals.get("__name__", "")
        if caller not in keepers() and not _is_test_code(frame.f_code.co_filename):
            raise AccessLayerBypass(
                f"{caller} opened the door to patient data: only an app's access module, "
                "registered as a door keeper (AppConfig.door_keeper), may."
            )
        self._token = _open.set(True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        _open.reset(self._token)
        return False


class GuardedManager[M: models.Model](models.Manager[M]):
    # Migrations get a plain manager: they move rows, they do not disclose them.
    use_in_migrations = False

    def get_queryset(self) -> models.QuerySet[M]:
        if not _open.get():
            raise AccessLayerBypass(
                f"{self.model.__name__} holds patient data: query it through its app's access "
                "module (the door keeper), which checks permission and audits."
            )
        return super().get_queryset()
