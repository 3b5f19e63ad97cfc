"""Issue 13, finding 3: after a worker was killed mid-check, the file stayed "processing" for 29
minutes and its decrypted plaintext stayed in ``work/`` for up to two hours.

Now an intake holds a lease on its file, renewed while it works (also while a sandboxed check
runs); a lease left to expire is taken over by the next sweep (every two minutes, and when a
worker starts), and only one run at a time may hold it, so the file finishes once. Working
folders hold a lock the kernel releases when their process dies, so a dead run's plaintext is
found at once by the sweep every worker makes when it starts and at each beat.
The end-to-end test (a real worker killed with SIGKILL) is ``tests/test_finding_3_worker_killed``.
"""

import fcntl
import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from conftest import acting
from dentalbridge.files import access, pipeline, tasks, uploads
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.files.sandbox import run_limited, while_waiting
from dentalbridge.files.tests import sandbox_targets as t
from dentalbridge.files.tests.factories import DUMMY_TASKS, SCAN
from dentalbridge.privacy.door import through_the_door

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path):
    """Working folders of this test only (other test processes share the suite's data folder)."""
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def processing(world, patient, local_files) -> Asset:
    """An uploaded scan whose intake has not run yet."""
    actor = acting(world.owner, world.practice)
    with override_settings(TASKS=DUMMY_TASKS, FILES_SYNC_CHECK_BYTES=0):
        upload = uploads.upload_create(
            actor=actor,
            length=len(SCAN),
            metadata={"filename": "upper.stl", "patient": str(patient.public_id)},
        )
        done = uploads.upload_receive(
            actor=actor, upload_id=upload.public_id, offset=0, content_length=len(SCAN),
            body=io.BytesIO(SCAN),
        )  # fmt: skip
    assert done.asset_id is not None
    with through_the_door():
        return Asset.objects.get(pk=done.asset_id)


def _fresh(asset: Asset) -> Asset:
    with through_the_door():
        return Asset.objects.get(pk=asset.pk)


def test_finding_3_one_run_at_a_time_holds_a_file_and_a_dead_runs_lease_runs_out(processing):
    first, second = pipeline.Lease(processing), pipeline.Lease(_fresh(processing))
    assert first.take()
    assert not second.take()  # the first run is alive
    first.renew()  # too soon to write again: nothing happens
    with time_machine.travel(timezone.now() + timedelta(seconds=first.seconds + 1)):
        assert second.take()  # the first went silent: taken over
        with pytest.raises(pipeline.LeaseLost):
            first.renew(force=True)
    first.end()  # not its lease any more: nothing changes
    assert _fresh(processing).leased_by == second.owner
    second.end()
    assert (_fresh(processing).leased_by, _fresh(processing).lease_until) == ("", None)


def test_finding_3_a_run_that_lost_its_file_does_not_say_how_it_ended(processing, settings):
    """Another run took the file over: the slow one stops at its next renewal without writing a
    status, and the one holding the lease finishes it."""
    thief = pipeline.Lease(_fresh(processing))
    with time_machine.travel(timezone.now() - timedelta(hours=1), tick=False):
        assert thief.take()  # a lease that ran out an hour ago
    settings.FILES_INTAKE_LEASE_SECONDS = 3600
    outcome = pipeline.process_asset.call(processing.pk)
    assert outcome["status"] == AssetStatus.READY  # the old lease had run out: taken over
    assert _fresh(processing).leased_by == ""  # and given back

    other = _fresh(processing)
    other.status = AssetStatus.PROCESSING
    other.save(update_fields=["status"])
    holder = pipeline.Lease(other)
    assert holder.take()  # alive: another run of the file is refused
    assert pipeline.process_asset.call(processing.pk) == {
        "skipped": True,
        "why": "another run holds the file",
    }
    assert _fresh(processing).status == AssetStatus.PROCESSING  # untouched


def test_finding_3_a_run_renews_its_lease_while_a_sandboxed_check_runs():
    beats = []
    with while_waiting(lambda: beats.append(1), every=0.05):
        assert run_limited(t.nap, 1.0) == "rested"
    assert beats  # called while the child slept


def test_finding_3_a_stalled_file_is_picked_up_once_its_lease_ran_out(processing, settings):
    settings.TASKS = DUMMY_TASKS
    lease = pipeline.Lease(processing)
    assert lease.take()
    assert tasks.stalled_assets_resume() == 0  # its run is alive
    later = timezone.now() + timedelta(seconds=lease.seconds + 1)
    with time_machine.travel(later):
        assert tasks.stalled_assets_resume() == 1  # minutes, not the 20 of an unleased file
        assert tasks.resume_stalled_assets.call()["resumed"] == 1


def test_finding_3_a_never_started_intake_is_queued_again_after_a_while(processing, settings):
    settings.TASKS = DUMMY_TASKS
    assert tasks.stalled_assets_resume() == 0  # just queued: its task will come
    with time_machine.travel(timezone.now() + tasks.STALLED_AFTER + timedelta(minutes=1)):
        assert tasks.stalled_assets_resume() == 1


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(3600)
"""


def test_finding_3_the_plaintext_of_a_dead_run_is_removed_and_a_live_runs_is_kept(settings):
    work = settings.DATA_DIR / pipeline.WORK
    work.mkdir(parents=True, exist_ok=True)
    dead = work / "intake-dead"
    dead.mkdir()
    (dead / pipeline.LOCK).touch()  # its process held the lock and is gone
    (dead / "original").write_bytes(b"plaintext of a scan")
    other = work / "intake-other-process"
    other.mkdir()
    holder = subprocess.Popen(  # noqa: S603 — our interpreter, our script
        [sys.executable, "-c", HOLDER, str(other / pipeline.LOCK)], stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline() == b"locked\n"
        with pipeline.workdir() as mine:
            (mine / "original").write_bytes(b"plaintext in use")
            assert pipeline.sweep_work() == 1
            assert not dead.exists()
            assert (mine / "original").exists()  # this process's run is alive
            assert other.exists()  # so is the other process's
        assert not mine.exists()  # and removed when its block ended
        holder.kill()
        holder.wait()
        assert pipeline.sweep_work() == 1  # the kernel released its lock: gone at once
        assert not other.exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_folder_without_its_lock_is_left_alone_for_a_minute(settings):
    work = settings.DATA_DIR / pipeline.WORK
    work.mkdir(parents=True, exist_ok=True)
    young = work / "intake-being-made"
    young.mkdir()
    assert pipeline.sweep_work() == 0
    old = timezone.now() - pipeline.UNLOCKED_GRACE - timedelta(seconds=5)
    os.utime(young, (old.timestamp(), old.timestamp()))
    assert pipeline.sweep_work() == 1


def test_the_workdir_is_removed_when_the_run_fails(settings):
    with pytest.raises(RuntimeError), pipeline.workdir() as path:
        (path / "original").write_bytes(b"plaintext")
        raise RuntimeError("a step failed")
    assert not path.exists()
    assert list((settings.DATA_DIR / pipeline.WORK).iterdir()) == []


def test_the_workdir_lock_is_held_while_in_use():
    with pipeline.workdir() as path:
        probe = os.open(path / pipeline.LOCK, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(probe)


def test_a_worker_starting_takes_over_stalled_files_and_sweeps(processing, settings):
    settings.TASKS = DUMMY_TASKS
    lease = pipeline.Lease(processing)
    assert lease.take()
    with time_machine.travel(timezone.now() + timedelta(seconds=lease.seconds + 1)):
        tasks.worker_upkeep(starting=True)
        stalled = access.assets_stalled(
            pipeline.SystemActor(pipeline.Purpose.STALLED_FILES),
            timezone.now(),
            unleased_before=timezone.now() - tasks.STALLED_AFTER,
        )
    assert [a.pk for a in stalled] == [processing.pk]
    assert processing.role == AssetRole.ORIGINAL
