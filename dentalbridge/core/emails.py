"""One normal form for e-mail addresses, used wherever an address enters the platform — sign-up,
e-mail change, invitations (issue 13, finding 7).

Two addresses that look the same must be the same address, or a second account that looks
identical can be made (``olivia\u200b@smile.example``). So an address is brought to one form —
NFKC, trimmed, lower-cased, the domain in Unicode (an ``xn--`` label decoded) without a trailing
dot — and refused with a clear message when it carries what no one can see (zero-width and other
format characters, controls, bidi overrides and isolates, fillers that render blank) or a domain
that is an IP address (``[1.2.3.4]``, ``[IPv6:…]``, a bare ``1.2.3.4``): mail to a machine rather
than a domain is a way around every domain-based check.
"""

import ipaddress
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.text import hidden_character

# Letters that render as nothing (the general category says "letter", the eye sees blank).
_BLANK_LETTERS = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0\u2800\u034f")
# Beyond the rule for names (``core.text.hidden_character``: bidi controls, invisibles, controls,
# separators), an address refuses every format character — the joiners a name may need too —,
# private use, unassigned code points and spaces.
_ADDRESS_REFUSED_CATEGORIES = frozenset({"Cf", "Co", "Cn", "Zs"})

INVISIBLE = _(
    "This e-mail address contains invisible or text-direction characters (such as a zero-width "
    "space). Type the address again instead of pasting it."
)
IP_DOMAIN = _("Use an e-mail address at a domain name, not at an IP address.")
INVALID = _("Enter a valid e-mail address.")


def _hidden(character: str) -> bool:
    return (
        hidden_character(character) is not None
        or unicodedata.category(character) in _ADDRESS_REFUSED_CATEGORIES
        or character in _BLANK_LETTERS
    )


def _is_ip(domain: str) -> bool:
    if domain.startswith("[") or domain.endswith("]"):
        return True  # an address literal: [1.2.3.4], [IPv6:2001:db8::1]
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        # "127.1" or "3232235777.": resolvers read a numeric last label as an address; no
        # top-level domain is all digits.
        return domain.rsplit(".", 1)[-1].isdigit()
    return True


def _domain(domain: str) -> str:
    labels = domain.removesuffix(".").split(".")
    unicode_labels = []
    for label in labels:
        if label.startswith("xn--"):
            try:
                label = label.encode("ascii").decode("idna").lower()
            except UnicodeError as exc:
                raise ValidationError(INVALID, code="invalid") from exc
        unicode_labels.append(label)
    normal = ".".join(unicode_labels)
    try:
        normal.encode("idna")  # every label valid and at most 63 octets once encoded
    except UnicodeError as exc:
        raise ValidationError(INVALID, code="invalid") from exc
    return normal


def normalized_email(value: str) -> str:
    """The address in its one form, or ``ValidationError`` (code ``invisible_characters``,
    ``ip_domain`` or ``invalid``) with a message to show next to the field."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if any(_hidden(character) for character in text):
        raise ValidationError(INVISIBLE, code="invisible_characters")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(INVALID, code="invalid")
    domain = domain.lower()
    if _is_ip(domain.removesuffix(".")):
        raise ValidationError(IP_DOMAIN, code="ip_domain")
    address = f"{local.lower()}@{_domain(domain)}"
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError(INVALID, code="invalid") from exc
    if _is_ip(address.rpartition("@")[2]):  # an xn-- label that decoded to digits
        raise ValidationError(IP_DOMAIN, code="ip_domain")
    return address


def validate_email_address(value: str) -> None:
    """A form field's validator in place of Django's ``validate_email``: the same refusals as
    :func:`normalized_email`, each with its own message (Django's would say only "Enter a valid
    email address." for an address with a zero-width space or a bare IP address)."""
    normalized_email(value)
