"""What the processing register says, shaped for people: the privacy notice (Arts. 13-14), the
record of processing activities (Art. 30) as rows for HTML, CSV and JSON, and the cookie policy.
Nothing here is written by hand: every line comes from ``purposes`` and the operator's details."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dentalbridge.core.spreadsheet import csv_text
from dentalbridge.gdpr import purposes
from dentalbridge.gdpr.models import OperatorDetails, Safeguard, SubProcessor


def operator() -> OperatorDetails | None:
    return OperatorDetails.objects.order_by("pk").first()


def subprocessors() -> list[SubProcessor]:
    return list(SubProcessor.objects.all())


def _country_name(code: str) -> str:
    from django_countries import countries

    return countries.name(code) or code if code else _("Everywhere else")


def retention_rows(rule_key: str) -> list[dict]:
    return [
        {"country": code, "country_name": _country_name(code), "period": str(period)}
        for code, period in purposes.retention_table(rule_key)
    ]


def _category(key: str) -> dict:
    entry = purposes.category(key)
    rule = purposes.RETENTION[entry.retention]
    return {
        "key": entry.key,
        "name": str(entry.name),
        "description": str(entry.description),
        "health": entry.health,
        "subjects": [str(purposes.SUBJECTS[s]) for s in entry.subjects],
        "retention": {
            "rule": rule.key,
            "starts": str(rule.starts),
            "reason": str(rule.reason),
            "periods": retention_rows(rule.key),
        },
    }


def _recipient(recipient: purposes.Recipient) -> dict:
    return {
        "name": str(recipient.name),
        "role": str(recipient.role),
        "location": str(recipient.location),
    }


def _purpose(entry: purposes.Purpose) -> dict:
    return {
        "key": entry.key,
        "name": str(entry.name),
        "description": str(entry.description),
        "controller": entry.controller,
        "basis": str(purposes.Basis.LABELS[entry.basis]),
        "health_basis": str(purposes.Basis.LABELS[entry.health_basis])
        if entry.health_basis
        else "",
        "consent_required": entry.consent_required,
        "automated_decisions": entry.automated_decisions,
        "source": str(entry.source),
        "subjects": [str(purposes.SUBJECTS[s]) for s in entry.subjects],
        "categories": [_category(key) for key in entry.categories],
        "recipients": [_recipient(r) for r in entry.recipients],
    }


def _subprocessor(entry: SubProcessor) -> dict:
    return {
        "name": entry.name,
        "service": entry.service,
        "location": entry.location.code,
        "location_name": str(entry.location.name),
        "safeguard": entry.safeguard,
        "safeguard_label": str(Safeguard(entry.safeguard).label),
    }


def _operator(details: OperatorDetails | None) -> dict | None:
    if details is None:
        return None
    return {
        "name": details.name,
        "address": details.address,
        "email": details.email,
        "country": details.country.code,
        "dpo_name": details.dpo_name,
        "dpo_email": details.dpo_email,
        "dpo_address": details.dpo_address,
    }


def authority(country: str) -> dict | None:
    found = purposes.AUTHORITIES.get((country or "").upper())
    if found is None:
        return None
    return {"country": country.upper(), "name": found[0], "url": found[1]}


def notice(*, country: str = "") -> dict:
    """Everything the privacy notice shows, in the active language. ``country`` is the reader's
    practice's or the operator's country, for the supervisory authority shown first."""
    details = operator()
    home = country or (details.country.code if details else "")
    return {
        "operator": _operator(details),
        "practice_as_controller": str(purposes.PRACTICE_AS_CONTROLLER),
        "purposes": [_purpose(entry) for entry in purposes.active_purposes()],
        "subprocessors": [_subprocessor(entry) for entry in subprocessors()],
        "authority": authority(home),
        "authorities": [authority(code) for code in sorted(purposes.AUTHORITIES)],
        "all_authorities_url": purposes.ALL_AUTHORITIES_URL,
    }


# --- Art. 30 record ---------------------------------------------------------------------------
RECORD_COLUMNS = (
    "purpose",
    "controller",
    "legal_basis",
    "health_basis",
    "data_subjects",
    "data_categories",
    "special_categories",
    "source",
    "recipients",
    "transfers",
    "retention",
)


def record_of_processing() -> dict:
    """The record of processing activities: one row per purpose, plus who keeps it."""
    details = operator()
    processors = [_subprocessor(entry) for entry in subprocessors()]
    transfers = [p for p in processors if p["safeguard"] != Safeguard.EEA]
    rows = []
    for entry in purposes.active_purposes():
        shaped = _purpose(entry)
        rows.append(
            {
                "purpose": f"{shaped['name']}: {shaped['description']}",
                "controller": (
                    _("The practice (the operator processes on its behalf)")
                    if entry.controller == "practice"
                    else (details.name if details else _("The operator"))
                ),
                "legal_basis": shaped["basis"],
                "health_basis": shaped["health_basis"],
                "data_subjects": "; ".join(shaped["subjects"]),
                "data_categories": "; ".join(c["name"] for c in shaped["categories"]),
                "special_categories": "; ".join(
                    c["name"] for c in shaped["categories"] if c["health"]
                ),
                "source": shaped["source"],
                "recipients": "; ".join(
                    [r["name"] for r in shaped["recipients"]] + [p["name"] for p in processors]
                ),
                "transfers": "; ".join(
                    f"{p['name']} ({p['location_name']}, {p['safeguard_label']})" for p in transfers
                )
                or _("None outside the EU/EEA"),
                "retention": "; ".join(
                    f"{c['name']}: "
                    + ", ".join(
                        f"{row['country'] or '*'} {row['period']}"
                        for row in c["retention"]["periods"]
                    )
                    + f" ({_('from')} {c['retention']['starts']})"
                    for c in shaped["categories"]
                ),
                "categories": shaped["categories"],
            }
        )
    return {
        "operator": _operator(details),
        "subprocessors": processors,
        "rows": rows,
        "security_measures": [
            _("Envelope encryption of files: a key per patient, wrapped by a key per tenant"),
            _("Every read and write of patient data checked and written to a hash-chained log"),
            _("Laboratories and designers see pseudonyms, never a patient's identity"),
            _("Two-factor sign-in, rate limits, strict content security policy"),
        ],
    }


def record_csv(record: dict) -> str:
    """The record as CSV (the DPO's ``record.csv``); names typed by people (the operator's, the
    sub-processors') cannot run as formulas in a spreadsheet."""
    return csv_text(
        RECORD_COLUMNS, ([row[column] for column in RECORD_COLUMNS] for row in record["rows"])
    )
