"""Legal identifiers of an organization (ACC-2): VAT, fiscal code, SDI, trade register number.

The validators return the compact canonical form or refuse with a message that names the value
the person typed; the services refuse the whole change and save nothing.
"""

import pytest
from django.core.exceptions import ValidationError

from conftest import acting
from dentalbridge.core.errors import ValidationFailed
from dentalbridge.organizations import services
from dentalbridge.organizations.models import Membership, Organization
from dentalbridge.organizations.validators import (
    clean_fiscal_code,
    clean_registration_number,
    clean_sdi_code,
    clean_vat_number,
)
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal

# Numbers with a correct check digit, taken from python-stdnum's documented examples.
NL_VAT = "NL004495445B01"
IT_VAT = "IT00743110157"
RO_VAT = "RO18547290"
DE_VAT = "DE136695976"
GR_VAT = "EL094259216"
IT_PERSON_CF = "RSSMRA85T10A562S"
IT_COMPANY_CF = "00743110157"
RO_CUI = "18547290"
RO_CNP = "1630615123457"


# --- VAT numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        (NL_VAT, "NL", NL_VAT),
        ("004495445B01", "NL", NL_VAT),
        ("nl 0044.95445-B01", "NL", NL_VAT),
        (IT_VAT, "IT", IT_VAT),
        ("00743110157", "IT", IT_VAT),
        (RO_VAT, "RO", RO_VAT),
        ("18547290", "RO", RO_VAT),
        (DE_VAT, "DE", DE_VAT),
        ("136 695 976", "DE", DE_VAT),
        (GR_VAT, "GR", GR_VAT),
        ("", "NL", ""),
    ],
)
def test_valid_vat_number_is_accepted_with_or_without_prefix_in_compact_form(
    value, country, expected
):
    assert clean_vat_number(value, country) == expected


def test_greek_vat_number_without_prefix_gets_el_not_the_iso_code_gr():
    assert clean_vat_number("094259216", "GR") == GR_VAT


def test_greek_vat_number_with_iso_prefix_is_normalized_to_el():
    try:
        result = clean_vat_number("GR094259216", "GR")
    except ValidationError:
        return
    assert result == GR_VAT


@pytest.mark.parametrize(
    ("value", "country"),
    [
        ("NL004495446B01", "NL"),
        ("004495446B01", "NL"),
        ("IT00743110158", "IT"),
        ("00743110158", "IT"),
        ("RO18547291", "RO"),
        ("18547291", "RO"),
        ("DE136695977", "DE"),
        ("136695977", "DE"),
        ("EL094259217", "GR"),
        ("094259217", "GR"),
        ("XX123456", "NL"),
        ("12", "NL"),
    ],
)
def test_invalid_vat_number_is_refused_with_a_message_naming_it(value, country):
    with pytest.raises(ValidationError) as info:
        clean_vat_number(value, country)
    assert info.value.code == "invalid_vat"
    assert value in info.value.messages[0]
    assert "VAT" in info.value.messages[0]


# --- Fiscal codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        (IT_PERSON_CF, "IT", IT_PERSON_CF),
        (IT_PERSON_CF.lower(), "IT", IT_PERSON_CF),
        (IT_COMPANY_CF, "IT", IT_COMPANY_CF),
        (RO_CUI, "RO", RO_CUI),
        ("RO18547290", "RO", RO_CUI),
        (RO_CNP, "RO", RO_CNP),
        ("", "IT", ""),
    ],
)
def test_valid_italian_and_romanian_fiscal_codes_are_accepted(value, country, expected):
    assert clean_fiscal_code(value, country) == expected


@pytest.mark.parametrize(
    ("value", "country"),
    [
        ("RSSMRA85T10A562T", "IT"),  # codice fiscale with a wrong check letter
        ("00743110158", "IT"),  # company code with a wrong check digit
        ("RSSMRA85T10", "IT"),
        ("18547291", "RO"),  # CUI with a wrong check digit
        ("1630615123458", "RO"),  # CNP with a wrong check digit
        ("not-a-code", "RO"),
    ],
)
def test_invalid_fiscal_code_is_refused_with_a_message_naming_it_and_the_country(value, country):
    with pytest.raises(ValidationError) as info:
        clean_fiscal_code(value, country)
    assert info.value.code == "invalid_fiscal_code"
    assert value in info.value.messages[0]
    assert country in info.value.messages[0]


def test_fiscal_code_of_a_country_without_a_national_check_is_kept_trimmed():
    assert clean_fiscal_code("  ab-12 ", "NL") == "AB-12"


# --- Romanian trade register (ONRC) --------------------------------------------------------------


@pytest.mark.parametrize("value", ["J52/750/2012", "J40/12345/1998", "J2012000750528"])
def test_valid_romanian_trade_register_number_is_accepted_old_and_new_format(value):
    assert clean_registration_number(value, "RO") == value


@pytest.mark.parametrize("value", ["X52/750/2012", "J99/1/2000", "J2012000750529", "12345"])
def test_invalid_romanian_trade_register_number_is_refused_naming_it(value):
    with pytest.raises(ValidationError) as info:
        clean_registration_number(value, "RO")
    assert info.value.code == "invalid_registration_number"
    assert value in info.value.messages[0]


def test_registration_number_outside_romania_is_not_checked():
    assert clean_registration_number(" kvk 1234 ", "NL") == "KVK 1234"


# --- SDI code ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("M5UXCR1", "M5UXCR1"), (" m5uxcr1 ", "M5UXCR1"), ("0000000", "0000000"), ("", "")],
)
def test_sdi_code_of_seven_letters_or_digits_is_accepted_in_upper_case(value, expected):
    assert clean_sdi_code(value, "IT") == expected


@pytest.mark.parametrize("value", ["M5UXCR", "M5UXCR12", "M5U-CR1", "M5UXCR\u00e9", "M5 XCR1"])
def test_sdi_code_of_wrong_length_or_characters_is_refused(value):
    with pytest.raises(ValidationError) as info:
        clean_sdi_code(value, "IT")
    assert info.value.code == "invalid_sdi_code"
    assert "7" in info.value.messages[0]


def test_sdi_code_error_message_names_the_value():
    with pytest.raises(ValidationError) as info:
        clean_sdi_code("M5UXCR12", "IT")
    assert "M5UXCR12" in info.value.messages[0]


# --- Services refuse invalid identifiers and save nothing ----------------------------------------


def _counts():
    return Organization.objects.count(), Membership.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    ("country", "field", "value"),
    [
        ("NL", "vat_number", "NL004495446B01"),
        ("IT", "vat_number", "00743110158"),
        ("IT", "fiscal_code", "RSSMRA85T10A562T"),
        ("RO", "fiscal_code", "18547291"),
        ("RO", "registration_number", "J99/1/2000"),
        ("IT", "sdi_code", "ABC"),
    ],
)
def test_organization_create_with_an_invalid_identifier_saves_nothing(world, country, field, value):
    before = _counts()
    with pytest.raises(ValidationFailed) as info:
        services.organization_create(
            actor=Principal(user=world.newcomer),
            kind="practice",
            name="Studio Dentistico Esempio",
            country=country,
            **{field: value},
        )
    assert list(info.value.fields) == [field]
    assert info.value.fields[field]
    assert _counts() == before


def test_organization_create_reports_every_invalid_identifier_at_once(world):
    with pytest.raises(ValidationFailed) as info:
        services.organization_create(
            actor=Principal(user=world.newcomer),
            kind="lab",
            name="Laboratorio Esempio",
            country="IT",
            vat_number="00743110158",
            fiscal_code="RSSMRA85T10A562T",
            sdi_code="TOO-LONG-CODE",
        )
    assert set(info.value.fields) == {"vat_number", "fiscal_code", "sdi_code"}
    assert "00743110158" in info.value.fields["vat_number"][0]


def test_organization_create_stores_identifiers_in_canonical_form(world):
    organization = services.organization_create(
        actor=Principal(user=world.newcomer),
        kind="lab",
        name="Laboratorio Esempio",
        country="IT",
        vat_number="00743110157",
        fiscal_code=IT_PERSON_CF.lower(),
        sdi_code="m5uxcr1",
    )
    organization.refresh_from_db()
    assert (organization.vat_number, organization.fiscal_code, organization.sdi_code) == (
        IT_VAT,
        IT_PERSON_CF,
        "M5UXCR1",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("vat_number", "NL004495446B01"), ("registration_number", "J99/1/2000")],
)
def test_organization_update_with_an_invalid_identifier_saves_nothing(world, field, value):
    if field == "registration_number":
        world.practice.country = "RO"
        world.practice.save()
    before = _counts()
    with pytest.raises(ValidationFailed) as info:
        services.organization_update(
            actor=acting(world.owner, world.practice),
            organization_id=world.practice.public_id,
            name="Renamed Studio",
            **{field: value},
        )
    assert list(info.value.fields) == [field]
    assert value in info.value.fields[field][0]
    world.practice.refresh_from_db()
    assert world.practice.name == "Smile Studio"
    assert getattr(world.practice, field) == ""
    assert _counts() == before


def test_organization_update_with_invalid_italian_fiscal_code_names_the_field(world):
    before = _counts()
    with pytest.raises(ValidationFailed) as info:
        services.organization_update(
            actor=acting(world.other_owner, world.other_practice),
            organization_id=world.other_practice.public_id,
            fiscal_code="RSSMRA85T10A562T",
        )
    assert list(info.value.fields) == ["fiscal_code"]
    world.other_practice.refresh_from_db()
    assert world.other_practice.fiscal_code == ""
    assert _counts() == before
