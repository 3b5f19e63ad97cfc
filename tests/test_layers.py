"""The layers are enforced by a tool (issue 12, item 3): `lint-imports` checks the contracts in
pyproject.toml — config > demo > GDPR workflows > domain apps > people > kernel > core, a
kernel that imports no app, no cycle between apps — and `make lint` runs it. These tests run the
same tool on a copy of the code with a forbidden import planted, so the contract is proven to
catch one, not merely to pass."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_of_the_code(tmp_path: Path) -> Path:
    """The Python sources only (the tool reads them, it imports nothing), with the contract."""
    for package in ("dentalbridge", "config"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("templates", "locale", "static", "__pycache__", "*.mo"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _plant(root: Path, module: str, line: str) -> None:
    path = root / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    return _copy_of_the_code(tmp_path_factory.mktemp("layers"))


def test_the_code_keeps_its_layers(code):
    result = _lint(code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "reported"),
    [
        (
            "dentalbridge/privacy/door.py",
            "from dentalbridge.patients import models as _planted  # noqa",
            "dentalbridge.privacy is not allowed to import dentalbridge.patients",
        ),
        (
            "dentalbridge/orders/services.py",
            "from dentalbridge.gdpr import erasure as _planted  # noqa",
            "dentalbridge.orders is not allowed to import dentalbridge.gdpr",
        ),
        (
            "dentalbridge/files/selectors.py",
            "def _planted():\n    from dentalbridge.orders import services  # noqa",
            "dentalbridge.files is not allowed to import dentalbridge.orders",
        ),
    ],
    ids=["kernel-imports-a-domain-app", "domain-app-imports-gdpr", "hidden-in-a-function"],
)
def test_a_planted_forbidden_import_breaks_the_contract(tmp_path, module, planted, reported):
    root = _copy_of_the_code(tmp_path)
    target = root / module
    if not target.exists():
        target.write_text('"""Planted by the test."""\n', encoding="utf-8")
    _plant(root, module, planted)
    result = _lint(root)
    assert result.returncode != 0
    assert reported in " ".join(result.stdout.split()), result.stdout
