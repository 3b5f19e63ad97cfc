import pytest

from dentalbridge.files.sandbox import SandboxError, run_limited
from dentalbridge.files.tests import sandbox_targets as t


def test_result_comes_back():
    assert run_limited(t.add, 2, 3) == 5


def test_a_parser_that_loops_is_stopped():
    with pytest.raises(SandboxError) as caught:
        run_limited(t.spin, timeout=1)
    assert caught.value.reason == "timeout"


def test_a_parser_that_allocates_without_bound_is_stopped():
    with pytest.raises(SandboxError) as caught:
        run_limited(t.allocate, 4096, memory_mb=512, timeout=30)
    assert caught.value.reason == "memory"


def test_a_parser_error_is_reported_with_its_message():
    with pytest.raises(SandboxError) as caught:
        run_limited(t.fail)
    assert caught.value.reason == "failed"
    assert "bad header" in caught.value.detail
