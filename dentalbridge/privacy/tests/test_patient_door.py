"""The one door to patient data is enforced by code, not by convention (issue: every query path
goes through the access layer).

1. At run time: the default manager of every patient-data model refuses to build a queryset
   outside ``privacy.access`` (``GuardedManager``).
2. In the source: no module but ``privacy/access.py`` may open the door or name the managers of a
   patient-data model (``.objects``, ``_default_manager``, ``_base_manager``), so nothing can
   even try to walk around it.
3. Completeness: every model that is, or points at, a patient-data model must itself be guarded.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

from dentalbridge.patients.models import Patient
from dentalbridge.privacy.door import AccessLayerBypass, GuardedManager

ROOT = Path(__file__).resolve().parents[3]
APP_CODE = ROOT / "dentalbridge"
DOOR_KEEPERS = {APP_CODE / "privacy" / "access.py", APP_CODE / "privacy" / "door.py"}
MANAGER_NAMES = {"objects", "_default_manager", "_base_manager"}


def patient_data_models() -> list[type[models.Model]]:
    """Patient, and every model with a foreign key or one-to-one to a patient-data model."""
    found = {Patient}
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model in found:
                continue
            for field in model._meta.get_fields():
                points_at_patient_data = (
                    field.concrete
                    and (field.many_to_one or field.one_to_one)
                    and field.related_model in found
                )
                if points_at_patient_data:
                    found.add(model)
                    changed = True
                    break
    return sorted(found, key=lambda m: m._meta.label)


def test_every_patient_data_model_has_the_guarded_default_manager():
    for model in patient_data_models():
        assert isinstance(model._default_manager, GuardedManager), model._meta.label


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attempt",
    [
        lambda: list(Patient.objects.all()),
        lambda: Patient.objects.filter(family_name="Rossi").exists(),
        lambda: Patient.objects.count(),
        lambda: Patient._default_manager.first(),
    ],
    ids=["all", "filter", "count", "default_manager"],
)
def test_querying_patients_outside_the_access_layer_is_refused(attempt):
    with pytest.raises(AccessLayerBypass, match=r"privacy\.access"):
        attempt()


def _python_files():
    for path in APP_CODE.rglob("*.py"):
        if "migrations" in path.parts or "tests" in path.parts or path in DOOR_KEEPERS:
            continue
        yield path


def _violations(path: Path, root: Path = ROOT) -> list[str]:
    guarded = {model.__name__ for model in patient_data_models()}
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGER_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id in guarded
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno} {node.value.id}.{node.attr}")
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name == "through_the_door":
                found.append(f"{path.relative_to(root)}:{node.lineno} opens the door")
    return found


def test_only_the_access_layer_reaches_patient_rows():
    violations = [v for path in _python_files() for v in _violations(path)]
    assert violations == [], "patient data queried outside privacy/access.py:\n" + "\n".join(
        violations
    )


def test_the_source_check_would_catch_a_view_querying_patients(tmp_path):
    """The check is not vacuous: a view written the forbidden way is reported."""
    view = tmp_path / "views.py"
    view.write_text(
        "from dentalbridge.patients.models import Patient\n"
        "def patient_list(request):\n"
        "    return Patient.objects.filter(organization=request.principal.organization)\n"
    )
    assert _violations(view, root=tmp_path) == ["views.py:3 Patient.objects"]
