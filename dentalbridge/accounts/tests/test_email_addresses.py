"""One normal form for e-mail addresses (issue 13, finding 7): look-alike addresses with invisible
or text-direction characters, and addresses at an IP address, are refused with a clear message at
sign-up and e-mail change; the others are stored in one form (NFKC, trimmed, lower-cased, the
domain in Unicode), so no second account can look identical to the first."""

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, client_for
from dentalbridge.accounts.models import User
from dentalbridge.core.emails import INVISIBLE, IP_DOMAIN, normalized_email

ZWSP = "\u200b"


def wide(text: str) -> str:
    """``text`` in full-width forms (U+FF21 for A, …), which NFKC folds back to ASCII."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --- The helper ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Olivia.Owner@Smile.Example", "olivia.owner@smile.example"),
        ("  olivia.owner@smile.example\n", "olivia.owner@smile.example"),
        ("olivia.owner@smile.example.", "olivia.owner@smile.example"),
        (
            f"{wide('olivia')}@{wide('smile')}.example",
            "olivia@smile.example",
        ),  # full-width forms (NFKC)
        ("hans@MÜLLER.de", "hans@müller.de"),
        ("hans@xn--mller-kva.de", "hans@müller.de"),  # the A-label and the U-label are one
    ],
)
def test_finding_7_email_is_normalised(typed, stored):
    assert normalized_email(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        f"olivia.owner{ZWSP}@smile.example",
        f"olivia.owner@smile{ZWSP}.example",
        "olivia.owner@smi\u00adle.example",  # soft hyphen
        "olivia\u200d.owner@smile.example",  # zero-width joiner
        "olivia\ufeff.owner@smile.example",  # byte-order mark
        "olivia\u2060.owner@smile.example",  # word joiner
        "\u202eelpmaxe.elims@renwo.aivilo",  # right-to-left override
        "olivia\u2066.owner\u2069@smile.example",  # bidi isolates
        "olivia\u200e.owner@smile.example",  # left-to-right mark
        "olivia\u3164.owner@smile.example",  # Hangul filler: a letter that renders blank
        "olivia\x00.owner@smile.example",
    ],
)
def test_finding_7_lookalike_email_with_invisible_characters_is_refused(typed):
    with pytest.raises(ValidationError) as info:
        normalized_email(typed)
    assert info.value.code == "invisible_characters"
    assert info.value.messages == [str(INVISIBLE)]


@pytest.mark.parametrize(
    "typed",
    [
        "olivia@[1.2.3.4]",
        "olivia@[IPv6:2001:db8::1]",
        "olivia@1.2.3.4",
        "olivia@127.1",
        "olivia@192.168.0.1.",
    ],
)
def test_finding_7_ip_literal_email_domain_is_refused(typed):
    with pytest.raises(ValidationError) as info:
        normalized_email(typed)
    assert info.value.code == "ip_domain"
    assert info.value.messages == [str(IP_DOMAIN)]


@pytest.mark.parametrize("typed", ["", "olivia", "@smile.example", "olivia@", "a@b..example"])
def test_finding_7_malformed_email_is_refused(typed):
    with pytest.raises(ValidationError) as info:
        normalized_email(typed)
    assert info.value.code == "invalid"


def test_finding_7_create_user_stores_the_one_form(db):
    assert User.objects.create_user(f"  Ada@{wide('E')}xample.ORG ").email == "ada@example.org"
    with pytest.raises(ValidationError):
        User.objects.create_user(f"ada{ZWSP}@example.org")


# --- Sign-up -------------------------------------------------------------------------------------


def sign_up(email: str):
    return Client().post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


@pytest.mark.parametrize(
    "lookalike",
    [f"olivia.owner@smile{ZWSP}.example", f"olivia.owner{ZWSP}@smile.example"],
)
def test_finding_7_lookalike_email_with_zero_width_space_is_refused(world, lookalike):
    before = User.objects.count()
    response = sign_up(lookalike)
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert User.objects.count() == before
    assert not EmailAddress.objects.filter(email__contains=ZWSP).exists()
    # Wherever the character sits, the person is told why (not Django's "Enter a valid…").
    assert response.context["form"].errors["email"] == [str(INVISIBLE)]
    assert str(INVISIBLE) in response.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize("address", ["sam@[192.0.2.1]", "sam@[IPv6:2001:db8::1]", "sam@192.0.2.1"])
def test_finding_7_ip_literal_email_is_refused_at_sign_up(db, address):
    response = sign_up(address)
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [str(IP_DOMAIN)]
    assert not User.objects.exists()


def test_finding_7_sign_up_stores_the_normal_form(db):
    response = sign_up(f"  Sam.Signup@{wide('NEW')}.Example ")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "sam.signup@new.example"
    assert user.emailaddress_set.get().email == "sam.signup@new.example"


def test_finding_7_a_lookalike_of_an_existing_address_is_the_same_address(world):
    before = User.objects.count()
    sign_up(f"OLIVIA.OWNER@{wide('smile')}.example")  # "already in use": one account, not two
    assert User.objects.count() == before


# --- E-mail change -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "message"),
    [(f"olivia@smile{ZWSP}.example", INVISIBLE), ("olivia@[192.0.2.1]", IP_DOMAIN)],
)
def test_finding_7_lookalike_email_is_refused_at_email_change(world, address, message):
    client = client_for(world.owner)
    response = client.post(reverse("account_email"), {"action_add": "", "email": address})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [str(message)]
    assert list(world.owner.emailaddress_set.values_list("email", flat=True)) == [world.owner.email]


@pytest.mark.parametrize(
    ("address", "message"),
    [(f"sam{ZWSP}@smile.example", INVISIBLE), ("sam@192.0.2.1", IP_DOMAIN)],
)
def test_finding_7_the_password_reset_form_says_why_it_refuses_an_address(db, address, message):
    response = Client().post(reverse("account_reset_password"), {"email": address})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [str(message)]
