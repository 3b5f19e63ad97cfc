"""Checks for an organization's legal identifiers, with python-stdnum where a check exists.

Each function takes the organization's country (ISO 3166 alpha-2) and returns the number in its
compact, canonical form, or raises ``ValidationError`` with a message a person can act on.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import vatin
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import codicefiscale, iva
from stdnum.ro import cnp, cui, onrc

_SDI_CODE = re.compile(r"^[A-Z0-9]{7}$")


def clean_vat_number(value: str, country: str) -> str:
    number = re.sub(r"[\s.\-]", "", value).upper()
    if not number:
        return ""
    if not number[:2].isalpha():
        number = country + number
    if number.startswith("GR"):
        number = "EL" + number[2:]  # Greece writes EL in VAT numbers, not its ISO code GR
    try:
        return vatin.validate(number)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid VAT number (%(reason)s).")
            % {"value": value, "reason": getattr(exc, "message", str(exc)).rstrip(".")},
            code="invalid_vat",
        ) from exc


def clean_fiscal_code(value: str, country: str) -> str:
    """Italy: codice fiscale of a person or an 11-digit company code; Romania: CNP or CUI/CIF.
    Elsewhere no national check is known, so the value is kept as given (trimmed)."""
    number = value.strip().upper()
    if not number:
        return ""
    checkers = {"IT": (codicefiscale, iva), "RO": (cnp, cui)}.get(country)
    if not checkers:
        return number
    for module in checkers:
        try:
            return module.validate(number)
        except StdnumError:
            continue
    raise ValidationError(
        _("%(value)s is not a valid fiscal code for %(country)s.")
        % {"value": value, "country": country},
        code="invalid_fiscal_code",
    )


def clean_registration_number(value: str, country: str) -> str:
    number = value.strip().upper()
    if not number or country != "RO":
        return number
    try:
        return onrc.validate(number)
    except StdnumError as exc:
        raise ValidationError(
            _("%(value)s is not a valid Romanian trade register number.") % {"value": value},
            code="invalid_registration_number",
        ) from exc


def clean_sdi_code(value: str, country: str) -> str:
    """The Italian e-invoicing recipient code (codice destinatario): seven letters or digits."""
    code = value.strip().upper()
    if not code:
        return ""
    if not _SDI_CODE.match(code):
        raise ValidationError(
            _("%(value)s is not a valid SDI code: it must be exactly 7 letters or digits.")
            % {"value": value},
            code="invalid_sdi_code",
        )
    return code
