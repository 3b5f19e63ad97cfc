"""The prescription's rules (ORD-1): FDI teeth, bridge spans, what each restoration needs, and
bad input refused with a clear message and nothing half-saved."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from conftest import acting
from dentalbridge.core.errors import Conflict, NotFound, ValidationFailed
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.files.tests.factories import stored_scan
from dentalbridge.orders import access, services
from dentalbridge.orders import teeth as fdi
from dentalbridge.orders.calendar import Closure, WorkingCalendar
from dentalbridge.orders.models import ImplantPlatform, LabClosure, LabProduct, OrderItem
from dentalbridge.orders.prescription import RestorationType, item_missing
from dentalbridge.orders.tests.conftest import crown, draft_order, next_weekday
from dentalbridge.patients import services as patient_services


@pytest.mark.parametrize("value", [10, 19, 29, 49, 50, 56, 66, 86, 9, 100, "1a", "", "٣١", True])
def test_a_number_that_is_no_fdi_tooth_is_refused(value):
    with pytest.raises(ValidationFailed, match="Not a tooth in FDI notation"):
        fdi.parse_teeth([11, value])


def test_fdi_teeth_parse_from_strings_and_sort_along_the_arch():
    assert fdi.parse_teeth(["21", 11, "12", 21]) == [12, 11, 21]
    assert fdi.parse_teeth(["55", "61"]) == [55, 61]
    assert len(fdi.ALL_TEETH) == 32 + 20


@pytest.mark.parametrize(
    ("teeth", "problem"),
    [
        ([11, 21], None),  # across the midline: neighbours
        ([13, 12, 11, 21, 22, 23], None),
        ([46, 45, 44], None),
        ([18, 28], "also needs 17, 16"),  # the ends of the arch are not neighbours
        ([11, 41], "cannot join the upper and the lower jaw"),
        ([11, 31], "cannot join the upper and the lower jaw"),
        ([51, 11], "cannot join primary and permanent teeth"),
        ([13, 11], "also needs 12"),
        ([11], "at least two teeth"),
    ],
)
def test_a_bridge_spans_neighbouring_teeth_of_one_arch(teeth, problem):
    found = fdi.span_problem(fdi.parse_teeth(teeth))
    assert (found is None) if problem is None else (problem in found)


def _item(**fields):
    return OrderItem(
        **{"teeth": [], "pontics": [], "arch": "", "material": "", "shade": "", **fields}
    )


def test_each_restoration_type_says_what_it_still_needs():
    assert item_missing(_item(restoration_type="crown", teeth=[11])) == {
        "material": "Choose the material.",
        "shade": "Choose the shade (VITA classical or 3D-Master).",
    }
    assert item_missing(_item(restoration_type="crown", teeth=[11], material="cocr")) == {}
    assert set(item_missing(_item(restoration_type="implant_crown", teeth=[36]))) == {
        "material",
        "shade",
        "implant_platform",
    }
    bridge = _item(restoration_type="bridge", teeth=[14, 15, 16], material="zirconia", shade="A2")
    assert "Mark the pontics" in item_missing(bridge)["pontics"]
    bridge.pontics = [14, 15, 16]
    assert item_missing(bridge) == {"pontics": "A bridge needs at least one abutment tooth."}
    bridge.pontics = [15]
    assert item_missing(bridge) == {}
    assert (
        "Say which jaw" in item_missing(_item(restoration_type="splint", material="pmma"))["arch"]
    )
    assert item_missing(_item(restoration_type="other")) == {
        "notes": "Describe what the lab should make."
    }
    assert {kind for kind in RestorationType.values} == set(
        __import__("dentalbridge.orders.prescription", fromlist=["NEEDS"]).NEEDS
    )


def test_an_incomplete_prescription_cannot_be_sent_and_says_what_is_missing(world, patient):
    order = draft_order(
        world,
        patient,
        items=[{"restoration_type": "bridge", "teeth": [14, 15, 16], "material": "zirconia"}],
    )
    with pytest.raises(ValidationFailed) as refused:
        services.order_transition(
            actor=acting(world.dentist, world.practice),
            order_id=order.public_id,
            transition="submit",
        )
    assert refused.value.fields == {
        "items.1.shade": ["Restoration 1: Choose the shade (VITA classical or 3D-Master)."],
        "items.1.pontics": [
            "Restoration 1: Mark the pontics: the teeth the bridge replaces (the others are its "
            "abutments)."
        ],
    }
    assert (
        access.order_access(acting(world.dentist, world.practice), order.public_id).state == "draft"
    )


def test_a_bridge_across_the_arch_ends_cannot_be_sent(world, patient):
    order = draft_order(
        world,
        patient,
        items=[crown(restoration_type="bridge", teeth=[18, 28], pontics=[28])],
    )
    with pytest.raises(ValidationFailed) as refused:
        services.order_transition(
            actor=acting(world.dentist, world.practice),
            order_id=order.public_id,
            transition="submit",
        )
    assert "between 18 and 28 it also needs 17, 16, 15, 14, 13, 12, 11, 21" in str(
        refused.value.fields["items.1.teeth"]
    )


def _save(world, order, data):
    return services.order_save_draft(
        actor=acting(world.dentist, world.practice), order_id=order.public_id, data=data
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"items": [crown(teeth=[11, 19])]}, "items.1.teeth", "Not an FDI tooth number: 19."),
        ({"items": [crown(teeth="eleven")]}, "items.1.teeth", "Not an FDI tooth number: eleven."),
        ({"items": [crown(restoration_type="tiara")]}, "items.1.restoration_type", "Choose a type"),
        ({"items": [crown(material="unobtainium")]}, "items.1.material", "Choose a material"),
        ({"items": [crown(shade="Z9")]}, "items.1.shade", "Not a VITA"),
        ({"items": [crown(arch="middle")]}, "items.1.arch", "Choose upper"),
        ({"items": [crown(notes="x" * 1001)]}, "items.1.notes", "At most 1000"),
        ({"items": "crown"}, "items", "Give the restorations as a list."),
        ({"items": ["crown"]}, "items.1", "Not a restoration."),
        ({"due_date": "next tuesday"}, "due_date", "Give a date as YYYY-MM-DD."),
        ({"due_date": "2026-02-30"}, "due_date", "Give a date as YYYY-MM-DD."),
        ({"due_date": "2020-01-06"}, "due_date", "Choose a date from today on."),
        ({"lab": "00000000-0000-0000-0000-000000000000"}, "lab", "Not a connected lab."),
        ({"lab": "not-a-uuid"}, "lab", "Not an id."),
        ({"preparation_notes": "x" * 4001}, "preparation_notes", "At most 4000"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(
    world, patient, data, field, message
):
    order = draft_order(world, patient)
    before = access.order_items(order)
    with pytest.raises(ValidationFailed) as refused:
        _save(world, order, {**data, "technical_notes": "must not be saved"})
    assert message in " ".join(refused.value.fields[field])
    again = access.order_access(acting(world.dentist, world.practice), order.public_id)
    assert again.technical_notes == ""
    assert [(i.teeth, i.material) for i in access.order_items(again)] == [
        (i.teeth, i.material) for i in before
    ]


def test_too_many_items_are_refused(world, patient):
    order = draft_order(world, patient)
    with pytest.raises(ValidationFailed, match="at most 32"):
        _save(world, order, {"items": [crown()] * 33})


def test_another_labs_unconnected_lab_cannot_be_chosen(world, patient):
    order = draft_order(world, patient)
    with pytest.raises(ValidationFailed):
        _save(world, order, {"lab": str(world.other_lab.public_id)})


def test_an_implant_platform_of_another_system_is_refused(world, patient, platform):
    other_system = ImplantPlatform.objects.exclude(system=platform.system).first().system
    item = crown(
        restoration_type="implant_crown", teeth=[36], implant_platform=str(platform.public_id)
    )
    order = draft_order(world, patient)
    with pytest.raises(ValidationFailed) as refused:
        _save(world, order, {"items": [{**item, "implant_system": str(other_system.public_id)}]})
    assert (
        "belongs to Straumann Bone Level Tapered (BLT)"
        in refused.value.fields["items.1.implant_platform"][0]
    )
    _save(world, order, {"items": [{**item, "implant_system": str(platform.system.public_id)}]})
    assert access.order_items(order)[0].implant_platform == platform


def test_a_labs_own_implant_platform_is_not_offered_to_other_labs(world, patient, platform):
    own = ImplantPlatform.objects.create(
        system=platform.system, name="Custom", organization=world.other_lab
    )
    order = draft_order(world, patient)
    with pytest.raises(ValidationFailed, match="highlighted"):
        _save(
            world,
            order,
            {
                "items": [
                    crown(restoration_type="implant_crown", implant_platform=str(own.public_id))
                ]
            },
        )


def test_a_material_outside_the_labs_catalogue_is_refused(world, patient):
    LabProduct.objects.create(lab=world.lab, restoration_type="crown", material="zirconia")
    order = draft_order(world, patient)
    with pytest.raises(ValidationFailed) as refused:
        _save(world, order, {"items": [crown(material="pmma")]})
    assert refused.value.fields["items.1.material"] == [
        "Precision Lab does not offer crown in PMMA."
    ]


def test_a_due_date_on_a_day_the_lab_is_closed_cannot_be_sent(world, patient):
    saturday = timezone.localdate() + timedelta(days=(5 - timezone.localdate().weekday()) % 7 + 7)
    order = draft_order(world, patient, due=saturday)
    dentist = acting(world.dentist, world.practice)
    with pytest.raises(ValidationFailed) as refused:
        services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")
    assert "Precision Lab is closed on" in refused.value.fields["due_date"][0]
    assert "Saturday" in refused.value.fields["due_date"][0]
    wednesday = next_weekday(saturday)
    LabClosure.objects.create(
        lab=world.lab, first_day=wednesday, last_day=wednesday, reason="Inventory"
    )
    _save(world, order, {"due_date": wednesday})
    with pytest.raises(ValidationFailed, match=r"Inventory"):
        services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")


def test_a_file_of_another_patient_or_tenant_cannot_be_attached(world, patient, local_files):  # noqa: F811
    owner = acting(world.owner, world.practice)
    other_patient = patient_services.patient_create(
        actor=owner, given_name="John", family_name="Roe", date_of_birth=date(1975, 1, 1)
    )
    foreign = patient_services.patient_create(
        actor=acting(world.other_owner, world.other_practice),
        given_name="Mario",
        family_name="Rossi",
        date_of_birth=date(1970, 3, 3),
    )
    mine = stored_scan(owner, patient)
    theirs = stored_scan(owner, other_patient)
    elsewhere = stored_scan(acting(world.other_owner, world.other_practice), foreign)
    order = draft_order(world, patient)
    dentist = acting(world.dentist, world.practice)
    for asset in (theirs, elsewhere):
        with pytest.raises(ValidationFailed, match="not in this patient's record"):
            services.order_attach(
                actor=dentist, order_id=order.public_id, item_id=asset.item.public_id
            )
    services.order_attach(actor=dentist, order_id=order.public_id, item_id=mine.item.public_id)
    assert [a.item for a in access.order_attachments(order)] == [mine.item]


def test_another_practice_cannot_open_or_edit_the_order(world, patient):
    order = draft_order(world, patient)
    other = acting(world.other_owner, world.other_practice)
    with pytest.raises(NotFound):
        services.order_save_draft(actor=other, order_id=order.public_id, data={"items": []})
    with pytest.raises(NotFound):
        services.order_create(actor=other, patient_id=patient.public_id)


def test_a_sent_order_is_no_longer_a_draft_to_edit(world, patient):
    order = draft_order(world, patient)
    dentist = acting(world.dentist, world.practice)
    services.order_transition(actor=dentist, order_id=order.public_id, transition="submit")
    with pytest.raises(Conflict):
        _save(world, order, {"preparation_notes": "changed"})


def test_working_days_skip_weekends_holidays_and_closures():
    calendar = WorkingCalendar(
        country="NL", closures=(Closure(date(2026, 12, 28), date(2026, 12, 31), "Winter break"),)
    )
    assert calendar.closed_because(date(2026, 4, 27)) == "King's Day"
    assert calendar.closed_because(date(2026, 11, 28)) == "Saturday"
    assert calendar.closed_because(date(2026, 12, 29)) == "Winter break"
    assert calendar.is_open(date(2026, 11, 23))
    # Thursday 24 Dec + 1 working day: 25/26 Christmas, 27 Sunday, 28-31 closed, 1 Jan.
    assert calendar.add_working_days(date(2026, 12, 24), 1) == date(2027, 1, 4)
    assert calendar.working_days_between(date(2026, 11, 20), date(2026, 11, 27)) == 5
    saturday_lab = WorkingCalendar(country="IT", weekdays=frozenset(range(6)))
    assert saturday_lab.is_open(date(2026, 11, 28))
    assert saturday_lab.closed_because(date(2026, 12, 8)) == "Immaculate Conception"


# --- Concurrency (PostgreSQL: real concurrent transactions) --------------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_an_autosave_and_a_page_post_at_once_leave_one_set_of_restorations(
    connected, patient, monkeypatch
):
    """The page's autosave (one restoration) and "Add a restoration" (two) arrive together: the
    draft ends with one of the two sets, never both (the row lock orders them)."""
    import contextlib
    import threading

    world = connected
    order = draft_order(world, patient)
    both_inside = threading.Barrier(2)
    replace = access.order_items_replace

    def wait_then_replace(*args, **kwargs):
        # Unlocked, both transactions get here before either deletes: both inserts would stay.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_inside.wait(timeout=2)
        return replace(*args, **kwargs)

    monkeypatch.setattr(access, "order_items_replace", wait_then_replace)
    done = []

    def save(items):
        try:
            services.order_save_draft(
                actor=acting(world.dentist, world.practice),
                order_id=order.public_id,
                data={"items": items},
            )
            done.append(len(items))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=([crown()],)),
        threading.Thread(target=save, args=([crown(), {"restoration_type": "crown"}],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(done) == [1, 2]
    saved = access.order_items(order)
    assert len(saved) in (1, 2)
    assert [item.position for item in saved] == list(range(1, len(saved) + 1))
