"""What the patients app asks of the app that stores the record's files (files sits above
patients: it registers itself here when it is ready, ``FilesConfig.ready``).

The purge (REC-5) lists the files in the legal archive, keeps their keys and deletes the rest;
the archive's end shreds them; the patient's own copy (REC-4) carries them in its ZIP.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from dentalbridge.privacy.principal import SystemActor


class RecordFiles(Protocol):
    def archive(self, patient: Any, system: SystemActor) -> list[dict]:
        """Before the patient row goes: what the archive lists (entries marked ``delete`` are
        derived previews deleted after the commit). The files are read for ``system``'s purpose:
        the retention run's, or an erasure's."""
        ...

    def archive_done(self, listing: list[dict]) -> None:
        """After the commit of the purge: delete what ``archive`` marked for deletion."""
        ...

    def shred(self, archive: Any, system: SystemActor) -> None:
        """The archive period is over: delete the archived files and destroy their keys (read
        for ``system``'s purpose)."""
        ...

    def copy_entries(self, patient: Any, items: list) -> list[tuple[str, Any]]:
        """(name in the ZIP, file) of every file of ``items`` the practice has confirmed."""
        ...

    def copy_audit(self, actor: Any, patient: Any, entries: list[tuple[str, Any]]) -> None:
        """One audit line per file going out in the patient's copy."""
        ...

    def copy_stream(
        self, entries: list[tuple[str, Any]], texts: Iterable[tuple[str, bytes]]
    ) -> Iterator[bytes]:
        """The ZIP of ``entries`` and ``texts``, streamed as the files are decrypted."""
        ...


_registered: list[RecordFiles] = []


def record_files_register(record_files: RecordFiles) -> None:
    _registered[:] = [record_files]


def record_files() -> RecordFiles:
    if not _registered:
        raise ImproperlyConfigured("No app stores the record's files: add dentalbridge.files.")
    return _registered[0]
