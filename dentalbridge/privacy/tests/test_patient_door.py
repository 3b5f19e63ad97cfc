"""The one door to patient data is enforced by code, not by convention (issue: every query path
goes through the access layer).

1. At run time: the default manager of every patient-data model refuses to build a queryset
   outside the door keepers (``GuardedManager``).
2. In the source: no module but the registered door keepers (each app's ``access.py`` whose
   ``AppConfig`` says ``door_keeper = True``) may open the door or name the managers of a
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
from dentalbridge.privacy import door
from dentalbridge.privacy.door import AccessLayerBypass, GuardedManager

ROOT = Path(__file__).resolve().parents[3]
APP_CODE = ROOT / "dentalbridge"


def door_keepers(root: Path = ROOT) -> set[Path]:
    """The files allowed to open the door: the kernel's door itself and the registered keepers."""
    keepers = {root / "dentalbridge" / "privacy" / "door.py"}
    for module in door.keepers():
        keepers.add(root.joinpath(*module.split(".")).with_suffix(".py"))
    return keepers


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
    with pytest.raises(AccessLayerBypass, match=r"access module"):
        attempt()


def _python_files(root: Path = ROOT):
    keepers = door_keepers(root)
    for path in (root / "dentalbridge").rglob("*.py"):
        if "migrations" in path.parts or "tests" in path.parts or path in keepers:
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
    assert violations == [], "patient data queried outside the door keepers:\n" + "\n".join(
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


def test_the_keepers_are_the_apps_access_modules():
    assert door.keepers() == {
        "dentalbridge.patients.access",
        "dentalbridge.files.access",
        "dentalbridge.orders.access",
        "dentalbridge.gdpr.access",
    }


def _plant(root: Path, relative: str, source: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


def test_the_source_check_catches_a_bypass_planted_in_a_new_app(tmp_path):
    """A new app (say shipping) that is not a registered keeper cannot query patient data, nor
    open the door, in any of its modules — its access.py included."""
    _plant(
        tmp_path,
        "dentalbridge/shipping/selectors.py",
        "from dentalbridge.orders.models import Order\n"
        "def orders_to_ship(lab):\n"
        "    return Order.objects.filter(lab=lab)\n",
    )
    _plant(
        tmp_path,
        "dentalbridge/shipping/access.py",
        "from dentalbridge.privacy.door import through_the_door\n"
        "def everything():\n"
        "    with through_the_door():\n"
        "        return []\n",
    )
    found = sorted(v for path in _python_files(tmp_path) for v in _violations(path, tmp_path))
    assert found == [
        "dentalbridge/shipping/access.py:3 opens the door",
        "dentalbridge/shipping/selectors.py:3 Order.objects",
    ]


def test_a_module_that_is_not_a_keeper_cannot_open_the_door_at_run_time(tmp_path, monkeypatch):
    """Defence in depth: even code the source check never saw (generated, imported from
    elsewhere) is refused when it opens the door, and the patient query fails with it."""
    _plant(
        tmp_path,
        "shipping_bypass.py",
        "from dentalbridge.patients.models import Patient\n"
        "from dentalbridge.privacy.door import through_the_door\n"
        "def all_patients():\n"
        "    with through_the_door():\n"
        "        return list(Patient._default_manager.all())\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import shipping_bypass  # type: ignore[import-not-found]  # written by this test

    with pytest.raises(AccessLayerBypass, match=r"shipping_bypass opened the door"):
        shipping_bypass.all_patients()


@pytest.mark.django_db
def test_a_registered_keeper_opens_the_door():
    from dentalbridge.patients import access

    assert access.pseudonym_taken(None, "P-NONE-00") is False
