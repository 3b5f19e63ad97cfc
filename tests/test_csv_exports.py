"""Finding 7 of issue 13: the DPO's ``record.csv`` wrote cells starting with ``=`` where the
patient audit export already neutralised them. Every CSV the platform writes goes through one
helper (``core.spreadsheet``); this test finds every CSV route and plants formulas in each."""

import csv
import inspect
import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import acting, client_for
from dentalbridge.core.spreadsheet import FORMULA_START, csv_cell
from dentalbridge.gdpr.models import OperatorDetails, Safeguard, SubProcessor
from dentalbridge.patients import services
from dentalbridge.privacy.audit import AuditAction, record

ROOT = Path(__file__).resolve().parent.parent / "dentalbridge"
PLANTED = [
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1dcmd|' /C calc'!A0",
]


def _routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _csv_routes() -> set[str]:
    """The names of the routes whose view answers ``text/csv``."""
    found = set()
    for _route, entry in _routes():
        view = inspect.unwrap(entry.callback)
        try:
            source = inspect.getsource(view)
        except (OSError, TypeError):
            continue
        if "text/csv" in source:
            found.add(entry.name)
    return found


# What each CSV route needs: the persona who downloads it and the arguments of its URL; each
# plants PLANTED where people's text reaches the file.
def _patient_audit(world):
    actor = acting(world.owner, world.practice)
    patient = services.patient_create(
        actor=actor, given_name="Anna", family_name="Verdi", date_of_birth=date(1969, 9, 9)
    )
    for value in PLANTED:
        record(
            AuditAction.PATIENT_VIEWED, principal=actor, patient=patient, target=patient,
            reason=value, user_agent=value,
        )  # fmt: skip
    return world.owner, [patient.public_id, "csv"]


def _dpo_record(world):
    OperatorDetails.objects.create(
        name=PLANTED[0], address=PLANTED[1], email="dpo@operator.example", country="NL",
        dpo_name=PLANTED[2], dpo_email="dpo@operator.example",
    )  # fmt: skip
    for position, value in enumerate(PLANTED):
        SubProcessor.objects.create(
            name=value, service=value, location="US", safeguard=Safeguard.SCC, position=position
        )
    return world.dpo, []


CSV_ROUTES = {"patient_audit_export": _patient_audit, "dpo_record_csv": _dpo_record}


def test_csv_is_written_by_the_one_helper_only():
    writers = {
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if "tests" not in path.parts
        and re.search(r"csv\.(writer|DictWriter)\b", path.read_text(encoding="utf-8"))
    }
    assert writers == {"core/spreadsheet.py"}


def test_every_csv_route_is_walked():
    assert _csv_routes() == set(CSV_ROUTES), "add the new CSV route to CSV_ROUTES"


@pytest.mark.django_db
def test_finding_7_every_csv_neutralises_formulas(world):
    assert set(CSV_ROUTES) == _csv_routes()
    for name, plant in CSV_ROUTES.items():
        user, args = plant(world)
        response = client_for(user).get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("text/csv"), name
        cells = [cell for row in csv.reader(io.StringIO(response.content.decode())) for cell in row]
        formulas = [cell for cell in cells if cell.startswith(FORMULA_START)]
        assert formulas == [], (name, formulas[:3])
        neutralised = {cell for cell in cells if cell.startswith("'")}
        # Every planted value reached the file, as text.
        assert {csv_cell(value) for value in PLANTED[:1]} <= neutralised, name


@pytest.mark.parametrize("value", PLANTED)
def test_a_formula_cell_is_shown_as_text(value):
    assert csv_cell(value) == "'" + value
    assert csv_cell("Anna Verdi") == "Anna Verdi"
    assert csv_cell(None) == ""
    assert csv_cell(42) == "42"
