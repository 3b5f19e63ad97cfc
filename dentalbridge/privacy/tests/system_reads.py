"""What the apps' tests of their system reads share (``*/tests/test_system_reads.py``): the
``system.read`` events written, and the refusal of anything but a ``SystemActor``."""

from collections.abc import Callable

import pytest

from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal, Purpose


def system_reads(read: str | None = None) -> list[AuditEvent]:
    """The ``system.read`` events, oldest first; those of the access function ``read`` only."""
    events = AuditEvent.objects.filter(action="system.read").order_by("seq")
    return [e for e in events if read is None or e.data.get("read") == read]


def assert_refuses_all_but_a_system_actor(call: Callable[[object], object], person: Principal):
    """``call(actor)`` refuses a person's principal, nothing, and a bare purpose — before reading
    anything: no audit line is written."""
    before = AuditEvent.objects.count()
    for wrong in (person, None, Purpose.RETENTION):
        with pytest.raises(TypeError, match="SystemActor"):
            call(wrong)
    assert AuditEvent.objects.count() == before


def the_system_read(read: str, purpose: Purpose) -> AuditEvent:
    """The one ``system.read`` event of the access function ``read``, checked to be the
    platform's own (system channel, nobody behind it) for ``purpose``."""
    [event] = system_reads(read)
    assert (event.via, event.actor_id, event.organization_id) == ("system", None, None)
    assert event.data["purpose"] == str(purpose)
    return event
