"""Authorization-matrix rows of gdpr: the notice, cookies, data-subject requests, legal holds, the
DPO's pages.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from conftest import acting
from dentalbridge.organizations.models import LabConnection
from dentalbridge.patients.tests.matrix import a_patient, an_archive, new_patient
from tests.matrix import NA, Case, own, public


def a_subprocessor(w):
    from dentalbridge.gdpr.models import SubProcessor

    entry = SubProcessor.objects.create(
        name="Example Mail", service="E-mail", location="IE", safeguard="eea"
    )
    return {"subprocessor_id": entry.public_id}


def a_data_request(w):
    """A patient's request to the practice (controller: Smile Studio)."""
    from dentalbridge.gdpr.requests import request_forward
    from dentalbridge.orders.tests.conftest import draft_order, put_in
    from dentalbridge.organizations.models import ConnectionStatus

    LabConnection.objects.get_or_create(
        practice=w.practice, lab=w.lab, defaults={"status": ConnectionStatus.ACCEPTED}
    )
    order = put_in(draft_order(w, new_patient(w)), "submitted")
    made = request_forward(
        actor=acting(w.manager, w.lab), order_reference=order.reference, kind="access"
    )
    return {"request_id": made.public_id}


def a_breach(w):
    from django.utils import timezone

    from dentalbridge.gdpr.breaches import breach_record

    breach = breach_record(
        actor=acting(w.dpo, w.platform), title="Lost laptop", description="Stolen.",
        detected_at=timezone.now(), categories=[], subjects_count=1, consequences="-",
        measures="-",
    )  # fmt: skip
    return {"breach_id": breach.public_id}


def a_hold(w):
    from dentalbridge.gdpr.erasure import hold_place

    patient = new_patient(w)
    hold = hold_place(
        actor=acting(w.owner, w.practice), patient_id=patient.public_id, kind="tax", reason="Audit"
    )
    return {"patient_id": patient.public_id, "hold_id": hold.public_id}


def a_verification_token(w):
    import re

    from django.core import mail
    from django.test import TestCase

    from dentalbridge.gdpr.requests import request_create_public

    with TestCase.captureOnCommitCallbacks(execute=True):
        request_create_public(
            name="Vera", email="vera@person.example", kind="access", details="", ip="192.0.2.1"
        )
    return {"token": re.search(r"/confirm/([^/\s]+)/", mail.outbox[-1].body).group(1)}


def _export_token(w):
    from dentalbridge.gdpr.requests import export_url, request_create
    from dentalbridge.privacy.principal import Principal

    made = request_create(actor=Principal(user=w.newcomer), kind="access")
    return export_url(made).rsplit("/", 2)[-2]


ROWS: dict[str, Case] = {
    "dpo/": Case(right=("dpo", 200), wrong=("owner", 404), other=NA("the platform itself")),
    "dpo/patients/<uuid:patient_id>/audit/": Case(
        kwargs=a_patient,
        right=("dpo", 200),
        wrong=("owner", 404),  # the practice owner uses the practice's own audit trail
        other=("manager", 404),
    ),
    "dpo/archives/<uuid:archive_id>/": Case(
        method="post",
        kwargs=an_archive,
        data=lambda w: {"purpose": "Supervisory authority request 2026/3"},
        right=("dpo", 200),
        wrong=("owner", 404),
        other=("manager", 404),
    ),
    "privacy/": public(),
    "privacy/cookies/settings/": Case(
        method="post", data=lambda w: {"action": "reject_all"}, right=("owner", 302), anon=302
    ),
    "accounts/privacy/": own(),
    "accounts/privacy/requests/": own(),
    "privacy/request/": public(),
    # A bearer link (like a password reset): whoever holds it for 7 days, every download audited.
    "privacy/download/<str:token>/": Case(
        kwargs=lambda w: {"token": _export_token(w)}, right=("owner", 200), anon=200
    ),
    "privacy/request/confirm/<str:token>/": Case(
        kwargs=a_verification_token, right=("owner", 200), anon=200
    ),
    "privacy/requests/": Case(right=("owner", 200), wrong=("dentist", 404), other=("manager", 404)),
    "privacy/deletions/": Case(
        right=("manager", 200), wrong=("technician", 403), other=("owner", 404)
    ),
    "privacy/requests/forward/": Case(
        right=("manager", 200), wrong=("technician", 403), other=("owner", 404)
    ),
    "privacy/requests/<uuid:request_id>/": Case(
        kwargs=a_data_request,
        right=("owner", 200),
        wrong=("dentist", 404),
        other=("other_owner", 404),
    ),
    "privacy/requests/<uuid:request_id>/extend/": Case(
        method="post",
        kwargs=a_data_request,
        data=lambda w: {"reason": "Archive on tape."},
        right=("owner", 302),
        wrong=("dentist", 404),
        other=("other_owner", 404),
    ),
    "privacy/requests/<uuid:request_id>/execute/": Case(
        method="post",
        kwargs=a_data_request,
        data=lambda w: {"action": "restrict"},
        right=("owner", 302),
        wrong=("dentist", 404),
        other=("other_owner", 404),
    ),
    # Without the typed confirmation nothing happens: back to the page.
    "accounts/privacy/close/": own(302, method="post"),
    "privacy/requests/<uuid:request_id>/erase/": Case(
        method="post",
        kwargs=a_data_request,
        right=("owner", 302),
        wrong=("dentist", 404),
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/holds/": Case(
        method="post",
        kwargs=a_patient,
        data=lambda w: {"kind": "litigation", "reason": "Claim 2026/17"},
        right=("owner", 302),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/holds/<uuid:hold_id>/lift/": Case(
        method="post",
        kwargs=a_hold,
        data=lambda w: {"reason": "Claim settled"},
        right=("owner", 302),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "privacy/requests/<uuid:request_id>/answer/": Case(
        method="post",
        kwargs=a_data_request,
        data=lambda w: {"answer": "Here is your copy."},
        right=("owner", 302),
        wrong=("dentist", 404),
        other=("other_owner", 404),
    ),
    "dpo/breaches/": Case(right=("dpo", 200), wrong=("owner", 404), other=("manager", 404)),
    "dpo/breaches/<uuid:breach_id>/": Case(
        kwargs=a_breach, right=("dpo", 200), wrong=("owner", 404), other=("manager", 404)
    ),
    "dpo/retention/dry-run/": Case(
        method="post", right=("dpo", 302), wrong=("owner", 404), other=("manager", 404)
    ),
    "dpo/policy/": Case(right=("dpo", 200), wrong=("owner", 404), other=("manager", 404)),
    "privacy/cookies/": public(),
    "dpo/record/": Case(right=("dpo", 200), wrong=("owner", 404), other=("manager", 404)),
    "dpo/record.csv": Case(right=("dpo", 200), wrong=("owner", 404), other=("manager", 404)),
    "dpo/record.json": Case(right=("dpo", 200), wrong=("owner", 404), other=("manager", 404)),
    "dpo/operator/": Case(
        method="post",
        data=lambda w: {
            "name": "Example Hosting B.V.",
            "address": "Keizersgracht 1",
            "country": "NL",
            "email": "privacy@platform.example",
            "dpo_name": "Dee DPO",
            "dpo_email": "dpo@platform.example",
        },
        right=("dpo", 302),
        wrong=("owner", 404),
        other=("manager", 404),
    ),
    "dpo/subprocessors/": Case(
        method="post",
        data=lambda w: {
            "name": "Example Cloud",
            "service": "Hosting",
            "location": "DE",
            "safeguard": "eea",
        },
        right=("dpo", 302),
        wrong=("owner", 404),
        other=("manager", 404),
    ),
    "dpo/subprocessors/<uuid:subprocessor_id>/remove/": Case(
        method="post",
        kwargs=a_subprocessor,
        right=("dpo", 302),
        wrong=("owner", 404),
        other=("manager", 404),
    ),
}
