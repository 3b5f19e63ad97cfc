"""The processing register is the one declaration (PRV-1, PRV-7, PRV-10): the notice, the Art. 30
record and the retention periods the purge uses all follow it, and it cannot fall behind the
models that hold personal data."""

import csv
import html
import io
import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.test.utils import isolate_apps
from django.urls import reverse
from django.utils import timezone

from config.env import env_retention_overrides
from conftest import acting, client_for
from dentalbridge.gdpr import purposes, services
from dentalbridge.gdpr.models import Safeguard
from dentalbridge.patients import access as patients_access
from dentalbridge.patients import services as patient_services
from dentalbridge.patients.retention import patients_purge_due
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


# --- The map cannot fall behind the code ------------------------------------------------------
def test_every_field_holding_personal_data_is_declared_in_a_data_category():
    missing = purposes.uncovered_fields(apps.get_models())
    assert missing == [], (
        "Declare these fields under a data category in dentalbridge/privacy/purposes.py "
        f"(or in NOT_PERSONAL with the reason): {missing}"
    )


def test_the_register_names_no_field_that_does_not_exist():
    assert purposes.unknown_declarations(apps.get_models()) == []


@isolate_apps("dentalbridge.privacy")
def test_an_undeclared_personal_data_field_is_found():
    class NewsletterSubscriber(models.Model):
        email = models.EmailField()
        mobile_number = models.CharField(max_length=30)
        subscribed_at = models.DateTimeField()

        class Meta:
            app_label = "privacy"

        def __str__(self) -> str:
            return self.email

    missing = purposes.uncovered_fields([NewsletterSubscriber])
    assert missing == [
        "privacy.NewsletterSubscriber.email",
        "privacy.NewsletterSubscriber.mobile_number",
        "privacy.NewsletterSubscriber.subscribed_at",
    ]


def test_taking_a_field_out_of_its_category_makes_it_uncovered(monkeypatch):
    identity = purposes.category("patient_identity")
    fields = dict(identity.fields)
    fields["patients.Patient"] = tuple(f for f in fields["patients.Patient"] if f != "phone")
    changed = tuple(
        replace(entry, fields=fields) if entry is identity else entry
        for entry in purposes.CATEGORIES
    )
    monkeypatch.setattr(purposes, "CATEGORIES", changed)
    assert purposes.uncovered_fields(apps.get_models()) == ["patients.Patient.phone"]


def test_every_purpose_names_declared_categories_subjects_and_bases():
    for entry in purposes.PURPOSES:
        assert entry.basis in purposes.Basis.LABELS
        assert not entry.health_basis or entry.health_basis in purposes.Basis.LABELS
        assert set(entry.subjects) <= set(purposes.SUBJECTS)
        for key in entry.categories:
            category = purposes.category(key)
            assert category.retention in purposes.RETENTION
            # Health data needs an Art. 9 condition as well as an Art. 6 basis.
            assert not category.health or entry.health_basis, (entry.key, key)


# --- One change in the declaration changes the notice and the purge ---------------------------
@pytest.fixture
def deleted_patient(world):
    dentist = acting(world.dentist, world.practice)
    patient = patient_services.patient_create(
        actor=dentist, given_name="Ada", family_name="Archive", date_of_birth=date(1970, 1, 1),
        attending_dentist=world.dentist,
    )  # fmt: skip
    patient_services.patient_delete(actor=dentist, patient_id=patient.public_id)
    return patient


def _archive_kept_until(world):
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        patients_purge_due()
        today = timezone.localdate()
    return today, patients_access.archives_query(
        acting(world.owner, world.practice)
    ).get().keep_until


def test_changing_a_retention_period_in_the_declaration_changes_the_notice_and_the_purge(
    world, deleted_patient, monkeypatch
):
    country = str(world.practice.country)
    notice = client_for(None).get(reverse("privacy_notice")).content.decode()
    assert f'data-retention="medical_archive:{country}"' in notice

    rule = purposes.RETENTION["medical_archive"]
    shorter = replace(rule, by_country={**rule.by_country, country: purposes.Period(years=3)})
    monkeypatch.setitem(purposes.RETENTION, "medical_archive", shorter)

    notice = client_for(None).get(reverse("privacy_notice")).content.decode()
    line = notice.split(f'data-retention="medical_archive:{country}">')[1].split("</li>")[0]
    assert line.endswith(": 3 years")
    today, keep_until = _archive_kept_until(world)
    assert keep_until == purposes.Period(years=3).after(today)


def test_the_operator_overrides_a_period_for_a_country(world, deleted_patient, settings):
    country = str(world.practice.country)
    settings.RETENTION_OVERRIDES = {"medical_archive": {country: "15y", "*": "12y"}}
    assert purposes.retention_period("medical_archive", country) == purposes.Period(years=15)
    assert purposes.retention_period("medical_archive", "ZZ") == purposes.Period(years=12)
    table = dict(purposes.retention_table("medical_archive"))
    assert table[country] == purposes.Period(years=15) and table[""] == purposes.Period(years=12)
    today, keep_until = _archive_kept_until(world)
    assert keep_until == purposes.Period(years=15).after(today)


def test_overrides_are_parsed_and_checked(monkeypatch, settings):
    monkeypatch.setenv("RETENTION_OVERRIDES", "medical_archive:nl=20y, *=10y;communications:*=30d")
    assert env_retention_overrides("RETENTION_OVERRIDES") == {
        "medical_archive": {"NL": "20y", "*": "10y"},
        "communications": {"*": "30d"},
    }
    for wrong in ("medical_archive:NL=twenty", "medical_archive", "x:NLD=1y", "x:NL=y"):
        monkeypatch.setenv("RETENTION_OVERRIDES", wrong)
        with pytest.raises(ImproperlyConfigured):
            env_retention_overrides("RETENTION_OVERRIDES")
    settings.RETENTION_OVERRIDES = {"medical_archives": {"NL": "20y"}}
    from django.core import checks

    errors = [e for e in checks.run_checks() if e.id == "privacy.E001"]
    assert len(errors) == 1 and "medical_archives" in errors[0].msg


@pytest.mark.parametrize(
    "text, period",
    [("10y", purposes.Period(years=10)), ("30d", purposes.Period(days=30)),
     ("1y30d", purposes.Period(years=1, days=30))],
)  # fmt: skip
def test_periods_read_and_count(text, period):
    assert purposes.Period.parse(text) == period
    assert period.after(date(2024, 2, 29)) == period.after(date(2024, 2, 29))
    assert purposes.Period(years=1).after(date(2024, 2, 29)) == date(2025, 2, 28)
    assert purposes.Period(years=1).before(date(2025, 3, 1)) == date(2024, 3, 1)


@pytest.mark.parametrize("text", ["", "y", "10", "10x", "-1y", "\u0661\u0660y"])
def test_a_period_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        purposes.Period.parse(text)


# --- The notice ----------------------------------------------------------------------------------
def test_the_notice_names_every_purpose_basis_category_and_the_authority(world):
    services.operator_details_save(
        actor=acting(world.dpo, world.platform),
        name="Example Hosting B.V.", address="Keizersgracht 1\nAmsterdam",
        email="privacy@platform.example", country="NL", dpo_name="Dee DPO",
        dpo_email="dpo@platform.example", dpo_address="",
    )  # fmt: skip
    page = client_for(None).get(reverse("privacy_notice"))
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    for entry in purposes.active_purposes():
        assert str(entry.name) in text
        assert str(purposes.Basis.LABELS[entry.basis]) in text
        for key in entry.categories:
            assert str(purposes.category(key).name) in text
    assert "dpo@platform.example" in text
    assert "Autoriteit Persoonsgegevens" in text  # the operator's country, for a visitor


def test_the_notice_is_in_the_readers_language(world):
    page = client_for(None).get(reverse("privacy_notice"), HTTP_ACCEPT_LANGUAGE="nl")
    assert page.status_code == 200
    assert "Privacyverklaring" in page.content.decode()


def test_the_notice_without_operator_details_says_so(world):
    text = client_for(None).get(reverse("privacy_notice")).content.decode()
    assert "has not entered its name" in text


# --- The Art. 30 record -----------------------------------------------------------------------
def test_the_dpo_downloads_the_record_of_processing_as_html_csv_and_json(world):
    dpo = client_for(world.dpo)
    services.subprocessor_add(
        actor=acting(world.dpo, world.platform), name="Example Mail Inc.",
        service="Transactional e-mail", location="US", safeguard=Safeguard.SCC,
    )  # fmt: skip
    html = dpo.get(reverse("dpo_record"))
    assert html.status_code == 200 and "Example Mail Inc." in html.content.decode()
    rows = list(csv.DictReader(io.StringIO(dpo.get(reverse("dpo_record_csv")).content.decode())))
    active = purposes.active_purposes()
    assert [r["purpose"].split(":")[0] for r in rows] == [str(p.name) for p in active]
    assert all("Example Mail Inc." in r["transfers"] for r in rows)
    record = json.loads(dpo.get(reverse("dpo_record_json")).content)
    care = record["rows"][0]
    assert care["categories"][0]["retention"]["rule"] == "medical_archive"
    assert record["subprocessors"][0]["safeguard"] == "scc"


@pytest.mark.parametrize("name", ["dpo_record", "dpo_record_csv", "dpo_record_json"])
def test_only_the_platform_dpo_reads_the_record(world, name):
    assert client_for(world.owner).get(reverse(name)).status_code == 404
    assert client_for(world.manager).get(reverse(name)).status_code == 404
    assert client_for(None).get(reverse(name)).status_code == 302


def test_the_dpo_keeps_the_operator_and_subprocessors_and_each_change_is_audited(world):
    dpo = client_for(world.dpo)
    bad = dpo.post(reverse("dpo_operator"), {"name": "X", "email": "not-an-address"})
    assert bad.status_code == 200 and "has-error" in bad.content.decode()
    saved = dpo.post(
        reverse("dpo_operator"),
        {
            "name": "Example Hosting B.V.", "address": "Keizersgracht 1", "country": "NL",
            "email": "privacy@platform.example", "dpo_name": "Dee DPO",
            "dpo_email": "dpo@platform.example",
        },
    )  # fmt: skip
    assert saved.status_code == 302
    added = dpo.post(
        reverse("dpo_subprocessors"),
        {"name": "Example Cloud", "service": "Hosting", "location": "DE", "safeguard": "eea"},
    )
    assert added.status_code == 302
    notice = client_for(None).get(reverse("privacy_notice")).content.decode()
    assert "Example Cloud" in notice and "Example Hosting B.V." in notice
    entry_id = services.SubProcessor.objects.get().public_id
    assert (
        client_for(world.owner)
        .post(reverse("dpo_subprocessor_remove", args=[entry_id]))
        .status_code
        == 404
    )
    assert dpo.post(reverse("dpo_subprocessor_remove", args=[entry_id])).status_code == 302
    assert "Example Cloud" not in client_for(None).get(reverse("privacy_notice")).content.decode()
    changes = AuditEvent.objects.filter(action="privacy.register_changed").order_by("seq")
    assert [e.data["what"] for e in changes] == [
        "operator",
        "subprocessor_added",
        "subprocessor_removed",
    ]


def test_the_cookie_policy_lists_every_cookie_the_platform_sets(world, client):
    page = client_for(None).get(reverse("cookie_policy")).content.decode()
    for cookie in purposes.COOKIES:
        assert cookie["name"] in page
    # And the platform sets no cookie it does not list.
    response = client_for(world.owner).get(reverse("dashboard"))
    listed = {c["name"] for c in purposes.COOKIES}
    assert set(response.cookies) <= listed


@pytest.fixture
def declare():
    """A monkeypatch for apps' register modules; once it is undone, the apps' declarations are
    collected again, so the next test sees the real register."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch
    purposes.collect_app_declarations()


def test_each_app_declares_its_own_fields_in_its_register_module():
    from dentalbridge.files import register as files_register
    from dentalbridge.orders import register as orders_register

    fields = {category.key: category.fields for category in purposes.CATEGORIES}
    assert (
        fields["orders"]["orders.Order"] == orders_register.PERSONAL_DATA["orders"]["orders.Order"]
    )
    assert (
        fields["health_record"]["files.Asset"]
        == (files_register.PERSONAL_DATA["health_record"]["files.Asset"])
    )
    assert (
        purposes.NOT_PERSONAL["orders.LabSettings"]
        == orders_register.NOT_PERSONAL["orders.LabSettings"]
    )


def test_a_new_app_adds_itself_to_the_register_without_editing_the_gdpr_app(declare):
    """What a new app (say shipping) writes in its register.py reaches the register, the notice's
    categories and the coverage check, with no line changed in the GDPR app."""
    from dentalbridge.orders import register as orders_register

    declared = {
        **orders_register.PERSONAL_DATA,
        "business_contact": {"orders.Shipment": ("recipient_name", "tracking_number")},
    }
    declare.setattr(orders_register, "PERSONAL_DATA", declared)
    declare.setattr(
        orders_register,
        "NOT_PERSONAL",
        {**orders_register.NOT_PERSONAL, "orders.Carrier": ("*", "a courier's name and links")},
    )
    purposes.collect_app_declarations()
    assert purposes.category("business_contact").fields["orders.Shipment"] == (
        "recipient_name",
        "tracking_number",
    )
    assert purposes.NOT_PERSONAL["orders.Carrier"] == ("*", "a courier's name and links")


def test_a_declaration_under_an_unknown_category_stops_the_start(declare):
    from django.core.exceptions import ImproperlyConfigured

    from dentalbridge.orders import register as orders_register

    declare.setattr(orders_register, "PERSONAL_DATA", {"parcels": {"orders.Order": ("reference",)}})
    with pytest.raises(ImproperlyConfigured, match="'parcels', which is no data category"):
        purposes.collect_app_declarations()
