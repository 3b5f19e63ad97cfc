"""Authorization-matrix rows of gdpr: the notice, cookies, data-subject requests, legal holds, the
DPO's pages.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from conftest import acting
from dentalbridge.organizations.models import LabConnection
from dentalbridge.patients.tests.matrix import a_patient, an_archive, new_patient
from tests.matrix import NA, NOT_DENTIST, Case, Others, own, public


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


# The platform's DPO: to a practice owner and a lab manager (no DPO) the pages do not exist.
DPO_ONLY = Others(wrong=("owner", 404), other=("manager", 404))
# A data request at its controller (the practice owner): its dentist and another practice get 404.
CONTROLLER_ONLY = Others(wrong=("dentist", 404), other=("other_owner", 404))
# A lab's part in requests (forwarding, deletion instructions): a practice owner gets 404.
LAB_NOT_TECHNICIAN = Others(wrong=("technician", 403), other=("owner", 404))


REQUEST = "privacy/requests/<uuid:request_id>"  # the prefix of its routes, as in urls.py

ROWS: dict[str, Case] = {
    "dpo/": Case.page(("dpo", 200), DPO_ONLY, other=NA("the platform itself")),
    # The practice owner uses the practice's own audit trail.
    "dpo/patients/<uuid:patient_id>/audit/": Case.page(("dpo", 200), DPO_ONLY, kwargs=a_patient),
    "dpo/archives/<uuid:archive_id>/": Case.post(
        ("dpo", 200),
        DPO_ONLY,
        kwargs=an_archive,
        data={"purpose": "Supervisory authority request 2026/3"},
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
    "privacy/requests/": Case.page(("owner", 200), CONTROLLER_ONLY, other=("manager", 404)),
    "privacy/deletions/": Case.page(("manager", 200), LAB_NOT_TECHNICIAN),
    "privacy/requests/forward/": Case.page(("manager", 200), LAB_NOT_TECHNICIAN),
    f"{REQUEST}/": Case.page(("owner", 200), CONTROLLER_ONLY, kwargs=a_data_request),
    f"{REQUEST}/extend/": Case.post(
        ("owner", 302), CONTROLLER_ONLY, kwargs=a_data_request, data={"reason": "Archive on tape."}
    ),
    f"{REQUEST}/execute/": Case.post(
        ("owner", 302), CONTROLLER_ONLY, kwargs=a_data_request, data={"action": "restrict"}
    ),
    # Without the typed confirmation nothing happens: back to the page.
    "accounts/privacy/close/": own(302, method="post"),
    f"{REQUEST}/erase/": Case.post(("owner", 302), CONTROLLER_ONLY, kwargs=a_data_request),
    "patients/<uuid:patient_id>/holds/": Case.post(
        ("owner", 302),
        NOT_DENTIST,
        kwargs=a_patient,
        data={"kind": "litigation", "reason": "Claim 2026/17"},
    ),
    "patients/<uuid:patient_id>/holds/<uuid:hold_id>/lift/": Case.post(
        ("owner", 302), NOT_DENTIST, kwargs=a_hold, data={"reason": "Claim settled"}
    ),
    f"{REQUEST}/answer/": Case.post(
        ("owner", 302),
        CONTROLLER_ONLY,
        kwargs=a_data_request,
        data={"answer": "Here is your copy."},
    ),
    "dpo/breaches/": Case.page(("dpo", 200), DPO_ONLY),
    "dpo/breaches/<uuid:breach_id>/": Case.page(("dpo", 200), DPO_ONLY, kwargs=a_breach),
    "dpo/retention/dry-run/": Case.post(("dpo", 302), DPO_ONLY),
    "dpo/policy/": Case.page(("dpo", 200), DPO_ONLY),
    "privacy/cookies/": public(),
    "dpo/record/": Case.page(("dpo", 200), DPO_ONLY),
    "dpo/record.csv": Case.page(("dpo", 200), DPO_ONLY),
    "dpo/record.json": Case.page(("dpo", 200), DPO_ONLY),
    "dpo/operator/": Case.post(
        ("dpo", 302),
        DPO_ONLY,
        data={
            "name": "Example Hosting B.V.",
            "address": "Keizersgracht 1",
            "country": "NL",
            "email": "privacy@platform.example",
            "dpo_name": "Dee DPO",
            "dpo_email": "dpo@platform.example",
        },
    ),
    "dpo/subprocessors/": Case.post(
        ("dpo", 302),
        DPO_ONLY,
        data={"name": "Example Cloud", "service": "Hosting", "location": "DE", "safeguard": "eea"},
    ),
    "dpo/subprocessors/<uuid:subprocessor_id>/remove/": Case.post(
        ("dpo", 302), DPO_ONLY, kwargs=a_subprocessor
    ),
}
