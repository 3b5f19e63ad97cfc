"""The authorization matrix (non-negotiable 3, STYLE.md §4).

One table states, for every URL pattern of the project (HTML and API, ours and allauth's), what
four audiences get: the *right role*, a *wrong role* of the same organization, a member of
*another tenant*, and an *anonymous* visitor. ``test_every_url_pattern_has_an_entry`` walks the URL
conf and fails when a pattern is missing from the table (or the table names one that no longer
exists); ``test_matrix`` runs every entry.

An outcome is an HTTP status, ``LOGIN`` (a redirect to the sign-in page), or ``NA("why")`` when an
audience does not apply (e.g. a page about one's own account has no "other tenant").
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import World, acting, client_for
from dentalbridge.accounts.services import api_token_create
from dentalbridge.files import access as files_access
from dentalbridge.orders import access as orders_access
from dentalbridge.organizations.models import (
    LabConnection,
    Membership,
)
from dentalbridge.patients import access as patients_access
from dentalbridge.privacy.principal import Principal

LOGIN = "login"


@dataclass(frozen=True)
class NA:
    why: str


@dataclass(frozen=True)
class Case:
    """``persona`` names are attributes of ``conftest.World``."""

    method: str = "get"
    kwargs: Callable[[World], dict] = lambda w: {}
    data: Callable[[World], dict] = lambda w: {}
    right: tuple[str, int] | NA = NA("no role applies")
    wrong: tuple[str, int] | NA = NA("every signed-in user may use it")
    other: tuple[str, int] | NA = NA("about the signed-in user only, not an organization")
    anon: int | str = LOGIN
    api: bool = False
    path: Callable[[World], str] | None = field(default=None)
    headers: Callable[[World], dict] = lambda w: {}


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
    order = put_in(draft_order(w, _patient(w)), "submitted")
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

    patient = _patient(w)
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


def a_newsletter(w):
    from dentalbridge.messaging.models import Newsletter

    return {"newsletter_id": Newsletter.objects.create(subject="News", text="Hi").public_id}


def _unsubscribe_token(w):
    from dentalbridge.messaging.newsletters import unsubscribe_token

    return unsubscribe_token(w.owner)


def own(status=200, method="get"):
    """A page about the signed-in user's own account (allauth): any persona is the right one."""
    return Case(method=method, right=("owner", status))


def public(status=200, signed_in=200):
    return Case(right=("owner", signed_in), anon=status)


def practice(w):
    return {"organization_id": w.practice.public_id}


def lab(w):
    return {"organization_id": w.lab.public_id}


def member_of_practice(w):
    assistant = Membership.objects.get(user=w.assistant)
    return {"organization_id": w.practice.public_id, "membership_id": assistant.public_id}


def invitation(w):
    from dentalbridge.organizations.services import invitation_create

    owner = Principal(user=w.owner, membership=Membership.objects.get(user=w.owner))
    inv = invitation_create(
        actor=owner, organization_id=w.practice.public_id, email="inv@x.example", role="assistant"
    )
    return {"organization_id": w.practice.public_id, "invitation_id": inv.public_id}


def pending_connection(w):
    link = LabConnection.objects.create(practice=w.practice, lab=w.lab, requested_by=w.owner)
    return {"organization_id": w.lab.public_id, "connection_id": link.public_id}


def accepted_connection_for_practice(w):
    link = LabConnection.objects.create(
        practice=w.practice, lab=w.lab, requested_by=w.owner, status="accepted"
    )
    return {"organization_id": w.practice.public_id, "connection_id": link.public_id}


def invitation_token(w):
    return {"token": "no-such-invitation-token"}


def own_token(w):
    owner = Principal(user=w.owner, membership=Membership.objects.get(user=w.owner))
    issued = api_token_create(actor=owner, name="matrix", valid_days=30)
    return {"token_id": issued.token.public_id}


def _patient(w, **overrides):
    from dentalbridge.patients.services import patient_create

    fields = {"given_name": "Maria", "family_name": "Matrix", "date_of_birth": date(1970, 1, 1)}
    return patient_create(actor=acting(w.owner, w.practice), **{**fields, **overrides})


def a_patient(w):
    return {"patient_id": _patient(w).public_id}


def a_deleted_patient(w):
    from dentalbridge.patients.services import patient_delete

    patient = _patient(w)
    patient_delete(actor=acting(w.owner, w.practice), patient_id=patient.public_id)
    return {"patient_id": patient.public_id}


def a_minor(w):
    today = date.today()  # noqa: DTZ011 — a birth date, calendar day only
    born = today.replace(year=today.year - 9, day=min(today.day, 28))
    patient = _patient(w, date_of_birth=born, guardian_name="G", guardian_contact="g@x.example")
    return {"patient_id": patient.public_id}


def a_grant(w):
    from dentalbridge.patients.services import care_grant_create

    patient = _patient(w, attending_dentist=w.dentist)
    grant = care_grant_create(
        actor=acting(w.dentist, w.practice),
        patient_id=patient.public_id,
        grantee_email=w.other_owner.email,
        reason="Second opinion",
    )
    return {"patient_id": patient.public_id, "grant_id": grant.public_id}


def a_patient_of_the_dentist(w):
    return {"patient_id": _patient(w, attending_dentist=w.dentist).public_id}


GRANT = {"grantee_email": "oscar.other@other.example", "reason": "Second opinion"}


def an_item(w):
    from dentalbridge.patients.services import record_item_create

    patient = _patient(w)
    item = record_item_create(
        actor=acting(w.owner, w.practice), patient_id=patient.public_id, kind="note", title="N"
    )
    return {"patient_id": patient.public_id, "item_id": item.public_id}


def _portal_user(w, email, family_name):
    """A person with a portal account on a patient of Smile Studio (TOTP enrolled)."""
    from conftest import make_user
    from dentalbridge.patients.models import PatientAccount

    user = make_user(email, family_name)
    patient = _patient(w, family_name=family_name, email=email)
    PatientAccount(patient=patient, user=user).save(force_insert=True)
    return user, patient


def a_portal_record(w):
    w.patient_user, patient = _portal_user(w, "pia.patient@patient.example", "Patient")
    w.other_patient_user, _ = _portal_user(w, "otto.other@patient.example", "Other")
    return {"patient_id": patient.public_id}


def a_portal_invitation(w):
    return {"token": "not-a-portal-invitation"}


def an_archive(w):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from dentalbridge.patients.retention import patients_purge_due
    from dentalbridge.patients.services import patient_delete

    patient = _patient(w)
    patient_delete(actor=acting(w.owner, w.practice), patient_id=patient.public_id)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        patients_purge_due()
    archive = patients_access.archives_query(acting(w.owner, w.practice)).get()
    return {"archive_id": archive.public_id}


def a_scan(w):
    from dentalbridge.files.tests.factories import stored_scan

    patient = _patient(w)
    asset = stored_scan(acting(w.owner, w.practice), patient)
    return {"patient_id": patient.public_id, "asset_id": asset.public_id}


def a_scan_item(w):
    from dentalbridge.files.tests.factories import stored_scan

    patient = _patient(w)
    asset = stored_scan(acting(w.owner, w.practice), patient)
    return {"patient_id": patient.public_id, "item_id": asset.item.public_id}


def a_download_link(w):
    from dentalbridge.files import delivery
    from dentalbridge.privacy.policy import Perm

    ids = a_scan(w)
    owner = acting(w.owner, w.practice)
    asset, _outside = files_access.asset_access(
        owner, ids["patient_id"], ids["asset_id"], Perm.PATIENT_VIEW
    )
    return delivery.link_for(owner, asset)


def a_share(w):
    from dentalbridge.files import services
    from dentalbridge.organizations.models import ConnectionStatus

    LabConnection.objects.get_or_create(
        practice=w.practice, lab=w.lab, defaults={"status": ConnectionStatus.ACCEPTED}
    )
    ids = a_scan_item(w)
    share = services.share_create(
        actor=acting(w.dentist, w.practice), lab_id=w.lab.public_id, **ids
    )
    return {**ids, "share_id": share.public_id}


def an_assignment(w):
    import datetime

    from django.utils import timezone

    from dentalbridge.files import services

    share_id = a_share(w)["share_id"]
    assignment = services.designer_assign(
        actor=acting(w.manager, w.lab),
        share_id=share_id,
        designer_id=w.designer.public_id,
        ends_at=timezone.now() + datetime.timedelta(days=2),
    )
    return {"share_id": share_id, "assignment_id": assignment.public_id}


def an_upload(w):
    from dentalbridge.files import uploads

    patient = _patient(w)
    upload = uploads.upload_create(
        actor=acting(w.dentist, w.practice),
        length=100,
        metadata={"filename": "scan.stl", "patient": str(patient.public_id)},
    )
    return {"upload_id": upload.public_id}


def upload_headers(w):
    from dentalbridge.files.tests.tus_client import metadata

    patient = _patient(w)
    meta = metadata(filename="scan.stl", patient=patient.public_id)
    return {"Tus-Resumable": "1.0.0", "Upload-Length": "100", "Upload-Metadata": meta}


TUS = lambda w: {"Tus-Resumable": "1.0.0"}  # noqa: E731


def an_order(state="submitted"):
    """{"order_id": …} of an order of Smile Studio at Precision Lab, placed in ``state``."""

    def make(w):
        from dentalbridge.orders.tests.conftest import draft_order, put_in
        from dentalbridge.organizations.models import ConnectionStatus

        LabConnection.objects.get_or_create(
            practice=w.practice, lab=w.lab, defaults={"status": ConnectionStatus.ACCEPTED}
        )
        order = draft_order(w, _patient(w))
        if state != "draft":
            put_in(order, state)
        return {"order_id": order.public_id}

    return make


def an_order_with_a_scan(w):
    from dentalbridge.files.tests.factories import stored_scan

    ids = an_order("info_requested")(w)
    patient = orders_access.order_patient(
        orders_access.order_access(acting(w.owner, w.practice), ids["order_id"])
    )
    w.scan_item_id = stored_scan(acting(w.owner, w.practice), patient).item.public_id
    return ids


def an_order_assignment(w):
    from dentalbridge.orders import services as orders

    ids = an_order("accepted")(w)
    technician = Membership.objects.get(user=w.technician)
    assignment = orders.order_assign(
        actor=acting(w.manager, w.lab), member_id=technician.public_id, **ids
    )
    return {**ids, "assignment_id": assignment.public_id}


def a_lab_platform(w):
    from dentalbridge.orders.implant_catalogue import seed
    from dentalbridge.orders.models import ImplantManufacturer, ImplantPlatform, ImplantSystem

    seed(ImplantManufacturer, ImplantSystem, ImplantPlatform)
    shared = ImplantPlatform.objects.filter(organization=None).select_related("system").first()
    own = ImplantPlatform.objects.create(system=shared.system, name="Own XL", organization=w.lab)
    return {"platform_id": own.public_id}


def a_closure(w):
    from dentalbridge.orders.models import LabClosure

    closure = LabClosure.objects.create(
        lab=w.lab, first_day=date(2099, 12, 24), last_day=date(2099, 12, 24)
    )
    return {"closure_id": closure.public_id}


def a_product(w):
    from dentalbridge.orders.models import LabProduct

    product = LabProduct.objects.create(lab=w.lab, restoration_type="crown", material="pmma")
    return {"product_id": product.public_id}


def a_patient_with_connection(w):
    from dentalbridge.organizations.models import ConnectionStatus

    LabConnection.objects.get_or_create(
        practice=w.practice, lab=w.lab, defaults={"status": ConnectionStatus.ACCEPTED}
    )
    return {"patient_id": _patient(w).public_id}


NO_PATIENT_ROLE = NA("every practice role may do this; labs and the platform are other tenants")
LAB = ("manager", 404)  # a lab has no patient list at all

NOT_TENANT = NA("not tenant data: the user's own record")
ALL_MEMBERS = NA("every member of the organization may view it")

MATRIX: dict[str, Case] = {
    # --- core ----------------------------------------------------------------------------------
    "": Case(right=("owner", 302), other=NOT_TENANT),
    "healthz": Case(right=("owner", 200), anon=200, other=NA("not tenant data")),
    "i18n/setlang/": Case(
        method="post", data=lambda w: {"language": "nl"}, right=("owner", 302), anon=302
    ),
    # --- our account pages ------------------------------------------------------------------------
    "accounts/profile/": own(),
    "accounts/photo/<uuid:user_id>/": Case(
        kwargs=lambda w: {"user_id": w.assistant.public_id},
        right=("owner", 404),  # same organization, but the assistant has no photo
        other=("other_owner", 404),
    ),
    "accounts/notifications/": own(),
    "notifications/": own(),
    "notifications/read/": own(302, "post"),
    "accounts/tokens/": Case(right=("owner", 200), wrong=NA("every member may hold tokens")),
    "accounts/tokens/<uuid:token_id>/revoke/": Case(
        method="post", kwargs=own_token, right=("owner", 302), other=("other_owner", 404)
    ),
    # --- allauth: sign-in, sign-up, e-mail, password -------------------------------------------
    "accounts/login/": public(200, signed_in=302),
    "accounts/logout/": Case(right=("owner", 200), anon=302),
    "accounts/inactive/": public(),
    "accounts/signup/": public(200, signed_in=302),
    "accounts/reauthenticate/": own(),
    "accounts/email/": own(),
    "accounts/confirm-email/": public(),
    "accounts/password/change/": own(),
    "accounts/password/set/": own(302),
    "accounts/password/reset/": public(200, signed_in=200),
    "accounts/login/code/confirm/": public(302, signed_in=302),
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": Case(
        path=lambda w: "/accounts/confirm-email/not-a-real-key/", right=("owner", 200), anon=200
    ),
    "accounts/password/reset/key/done/": public(),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": Case(
        path=lambda w: "/accounts/password/reset/key/zz-not-a-key/",
        right=("owner", 200),
        anon=200,
    ),
    "accounts/password/reset/done/": public(),
    # --- allauth: two-factor ---------------------------------------------------------------------
    "accounts/2fa/": own(),
    "accounts/2fa/authenticate/": public(302, signed_in=302),
    "accounts/2fa/reauthenticate/": own(),
    "accounts/2fa/totp/activate/": own(302),
    "accounts/2fa/totp/deactivate/": own(302),
    "accounts/2fa/recovery-codes/": own(302),
    "accounts/2fa/recovery-codes/generate/": own(302),
    "accounts/2fa/recovery-codes/download/": own(302),
    "accounts/2fa/webauthn/": own(),
    "accounts/2fa/webauthn/add/": own(302),
    "accounts/2fa/webauthn/reauthenticate/": own(302),
    "accounts/2fa/webauthn/keys/<int:pk>/remove/": Case(
        kwargs=lambda w: {"pk": 999999}, right=("owner", 302)
    ),
    "accounts/2fa/webauthn/keys/<int:pk>/edit/": Case(
        kwargs=lambda w: {"pk": 999999}, right=("owner", 302)
    ),
    # --- allauth: sessions, social sign-in (providers off when the operator set no keys) ----
    "accounts/sessions/": own(),
    "accounts/3rdparty/login/cancelled/": public(),
    "accounts/3rdparty/login/error/": public(401, signed_in=401),
    "accounts/3rdparty/signup/": public(302, signed_in=302),
    "accounts/3rdparty/": own(),
    # Legacy addresses: permanent redirects to accounts/3rdparty/…
    "accounts/social/login/cancelled/": public(301, signed_in=301),
    "accounts/social/login/error/": public(301, signed_in=301),
    "accounts/social/signup/": public(301, signed_in=301),
    "accounts/social/connections/": public(301, signed_in=301),
    # --- organizations (HTML) -------------------------------------------------------------
    "organizations/new/": Case(right=("owner", 200), other=NA("creates a new tenant")),
    "organizations/switch/": Case(
        method="post",
        data=lambda w: {"membership": str(Membership.objects.get(user=w.owner).public_id)},
        right=("owner", 302),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/": Case(
        kwargs=practice, right=("assistant", 200), wrong=ALL_MEMBERS, other=("other_owner", 404)
    ),
    "organizations/<uuid:organization_id>/edit/": Case(
        kwargs=practice, right=("owner", 200), wrong=("assistant", 403), other=("other_owner", 404)
    ),
    "organizations/<uuid:organization_id>/members/": Case(
        kwargs=lab, right=("technician", 200), wrong=("designer", 403), other=("other_manager", 404)
    ),
    "organizations/<uuid:organization_id>/members/<uuid:membership_id>/": Case(
        method="post",
        kwargs=member_of_practice,
        data=lambda w: {"role": "dentist"},
        right=("owner", 302),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/members/<uuid:membership_id>/remove/": Case(
        method="post",
        kwargs=member_of_practice,
        right=("owner", 302),
        wrong=("assistant", 403),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/invitations/": Case(
        method="post",
        kwargs=practice,
        data=lambda w: {"email": "new.person@x.example", "role": "assistant"},
        right=("owner", 302),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/invitations/<uuid:invitation_id>/revoke/": Case(
        method="post",
        kwargs=invitation,
        right=("owner", 302),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "organizations/<uuid:organization_id>/connections/": Case(
        kwargs=practice, right=("dentist", 200), other=("other_owner", 404), wrong=NA("n/a")
    ),
    "organizations/<uuid:organization_id>/connections/<uuid:connection_id>/": Case(
        method="post",
        kwargs=pending_connection,
        data=lambda w: {"decision": "accept"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "organizations/<uuid:organization_id>/audit/": Case(
        kwargs=practice, right=("owner", 200), wrong=("assistant", 403), other=("other_owner", 404)
    ),
    "invitations/<str:token>/": Case(
        kwargs=invitation_token, right=("newcomer", 404), other=NA("the token is the key")
    ),
    # --- patients (HTML) -----------------------------------------------------------------------
    "patients/": Case(right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=LAB),
    "patients/new/": Case(right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=LAB),
    "patients/deleted/": Case(right=("dentist", 200), wrong=("assistant", 403), other=LAB),
    "patients/<uuid:patient_id>/": Case(
        kwargs=a_patient,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/edit/": Case(
        kwargs=a_patient,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/delete/": Case(
        method="post",
        kwargs=a_patient,
        right=("dentist", 302),
        wrong=("assistant", 403),
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/restore/": Case(
        method="post",
        kwargs=a_deleted_patient,
        right=("owner", 302),
        wrong=("assistant", 403),
        other=("other_owner", 404),
    ),
    "patients/shared/": Case(
        right=("other_owner", 200),
        wrong=NA("lists only what is shared with oneself"),
        other=NA("lists only what is shared with oneself: no tenant's list"),
    ),
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
    "newsletters/": Case(right=("support", 200), wrong=("dpo", 404), other=("owner", 404)),
    "newsletters/<uuid:newsletter_id>/send/": Case(
        method="post",
        kwargs=a_newsletter,
        right=("support", 302),
        wrong=("dpo", 404),
        other=("owner", 404),
    ),
    "unsubscribe/<str:token>/": Case(
        method="post",
        kwargs=lambda w: {"token": _unsubscribe_token(w)},
        right=("owner", 200),
        anon=200,
    ),
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
    "patients/archive/": Case(right=("owner", 200), wrong=("dentist", 403), other=LAB),
    "patients/archive/<uuid:archive_id>/": Case(
        method="post",
        kwargs=an_archive,
        data=lambda w: {"purpose": "Claim 2026/17"},
        right=("owner", 200),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/care-team/": Case(
        method="post",
        kwargs=a_patient_of_the_dentist,
        data=lambda w: GRANT,
        right=("dentist", 302),
        wrong=("assistant", 403),  # not the attending dentist
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/care-team/<uuid:grant_id>/revoke/": Case(
        method="post",
        kwargs=a_grant,
        right=("owner", 302),
        wrong=("assistant", 403),
        other=("other_manager", 404),
    ),
    "patients/<uuid:patient_id>/audit/": Case(
        kwargs=a_patient, right=("owner", 200), wrong=("dentist", 403), other=("other_owner", 404)
    ),
    "patients/<uuid:patient_id>/audit/export.<str:fmt>": Case(
        kwargs=lambda w: {**a_patient(w), "fmt": "csv"},
        right=("owner", 200),
        wrong=("assistant", 403),
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/record/new/": Case(
        kwargs=a_patient,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/": Case(
        kwargs=an_item, right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=("other_owner", 404)
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/edit/": Case(
        method="post",
        kwargs=an_item,
        data=lambda w: {"title": "Renamed"},
        right=("dentist", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/portal-invitation/": Case(
        method="post",
        kwargs=a_patient,
        data=lambda w: {"email": "maria.matrix@patient.example"},
        right=("assistant", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "portal/": Case(
        kwargs=lambda w: (a_portal_record(w), {})[1],
        right=("patient_user", 302),
        wrong=NA("every user sees their own records only"),
        other=NA("lists only one's own records"),
    ),
    "portal/join/<str:token>/": Case(
        kwargs=a_portal_invitation, right=("newcomer", 200), other=NA("the token is the key")
    ),
    "portal/<uuid:patient_id>/": Case(
        kwargs=a_portal_record,
        right=("patient_user", 200),
        wrong=("owner", 404),  # the practice uses its own pages, not the patient's portal
        other=("other_patient_user", 404),
    ),
    "portal/<uuid:patient_id>/copy.zip": Case(
        kwargs=a_portal_record,
        right=("patient_user", 200),
        wrong=("owner", 404),
        other=("other_patient_user", 404),
    ),
    "patients/<uuid:patient_id>/guardian-consent/": Case(
        method="post",
        kwargs=a_minor,
        right=("assistant", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    # --- API -------------------------------------------------------------------------------------
    "api/v1/openapi.json": Case(api=True, right=("owner", 200), anon=200, other=NOT_TENANT),
    "api/v1/docs/": Case(right=("owner", 200), anon=200, other=NOT_TENANT),
    "api/v1/me/": Case(api=True, right=("owner", 200), anon=401),
    "api/v1/organizations/": Case(
        api=True, right=("designer", 200), anon=401, other=NA("lists only one's own")
    ),
    "api/v1/organizations/<uuid:organization_id>/": Case(
        api=True,
        method="patch",
        kwargs=practice,
        data=lambda w: {"city": "Amersfoort"},
        right=("owner", 200),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/members/": Case(
        api=True,
        kwargs=lab,
        right=("technician", 200),
        wrong=("designer", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/members/<uuid:membership_id>/": Case(
        api=True,
        method="patch",
        kwargs=member_of_practice,
        data=lambda w: {"role": "dentist"},
        right=("owner", 200),
        wrong=("dentist", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/invitations/": Case(
        api=True,
        method="post",
        kwargs=practice,
        data=lambda w: {"email": "api.person@x.example", "role": "assistant"},
        right=("owner", 201),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/invitations/<uuid:invitation_id>/": Case(
        api=True,
        method="delete",
        kwargs=invitation,
        right=("owner", 204),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/connections/": Case(
        api=True,
        method="post",
        kwargs=practice,
        data=lambda w: {"lab": str(w.lab.public_id)},
        right=("owner", 201),
        wrong=("dentist", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/organizations/<uuid:organization_id>/connections/<uuid:connection_id>/": Case(
        api=True,
        method="patch",
        kwargs=accepted_connection_for_practice,
        data=lambda w: {"decision": "end"},
        right=("owner", 200),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/": Case(
        api=True, right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=LAB, anon=401
    ),
    "api/v1/patients/<uuid:patient_id>/": Case(
        api=True,
        method="patch",
        kwargs=a_patient,
        data=lambda w: {"notes": "Prefers morning appointments"},
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/care-team/": Case(
        api=True,
        method="post",
        kwargs=a_patient_of_the_dentist,
        data=lambda w: GRANT,
        right=("dentist", 201),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/care-team/<uuid:grant_id>/": Case(
        api=True,
        method="delete",
        kwargs=a_grant,
        right=("dentist", 204),
        wrong=("assistant", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/record/": Case(
        api=True,
        method="post",
        kwargs=a_patient,
        data=lambda w: {"kind": "photo", "title": "Frontal smile"},
        right=("assistant", 201),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/record/<uuid:item_id>/": Case(
        api=True,
        method="patch",
        kwargs=an_item,
        data=lambda w: {"text": "Updated"},
        right=("dentist", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/restore/": Case(
        api=True,
        method="post",
        kwargs=a_deleted_patient,
        right=("dentist", 200),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    # --- files ---------------------------------------------------------------------------------
    "api/v1/uploads/": Case(
        api=True,
        method="post",
        headers=upload_headers,
        right=("assistant", 201),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/uploads/<uuid:upload_id>": Case(
        api=True,
        method="head",
        kwargs=an_upload,
        headers=TUS,
        right=("dentist", 200),
        wrong=("assistant", 404),  # an upload belongs to whoever started it
        other=("other_owner", 404),
        anon=401,
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/files/": Case(
        kwargs=a_scan_item,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/files.zip": Case(
        kwargs=lambda w: {"patient_id": a_scan(w)["patient_id"]},
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/scans/": Case(
        kwargs=a_patient, right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=("manager", 404)
    ),
    "patients/<uuid:patient_id>/files/<uuid:asset_id>/release/": Case(
        method="post",
        kwargs=a_scan,
        right=("dentist", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/files/<uuid:asset_id>/repair/": Case(
        method="post",
        kwargs=a_scan,
        right=("dentist", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/shares/": Case(
        method="post",
        kwargs=a_scan_item,
        data=lambda w: {"lab": str(w.lab.public_id), "note": "Crown 16"},
        right=("dentist", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/shares/<uuid:share_id>/revoke/": Case(
        method="post",
        kwargs=a_share,
        right=("assistant", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    # --- orders ---------------------------------------------------------------------------------
    "patients/<uuid:patient_id>/orders/new/": Case(
        method="post",
        kwargs=a_patient_with_connection,
        right=("assistant", 302),
        wrong=NA("every practice role may draft an order (only clinicians send it)"),
        other=("other_owner", 404),
    ),
    "orders/": Case(
        right=("technician", 200),
        wrong=NA("every practice or lab role; a designer sees only assigned orders"),
        other=NA("lists only the acting organization's orders"),
    ),
    "orders/<uuid:order_id>/": Case(
        kwargs=an_order(),
        right=("technician", 200),
        wrong=("designer", 404),  # not assigned to it
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/edit/": Case(
        kwargs=an_order("draft"),
        right=("assistant", 200),
        wrong=NA("every practice role may edit a draft; the lab never sees drafts"),
        other=("other_owner", 404),
    ),
    "orders/<uuid:order_id>/autosave/": Case(
        method="post",
        kwargs=an_order("draft"),
        data=lambda w: {"preparation_notes": "Chamfer."},
        right=("dentist", 200),
        wrong=NA("every practice role may edit a draft"),
        other=("other_owner", 404),
    ),
    "orders/<uuid:order_id>/step/": Case(
        method="post",
        kwargs=an_order(),
        data=lambda w: {"transition": "accept"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/assign/": Case(
        method="post",
        kwargs=an_order("accepted"),
        data=lambda w: {"member": str(Membership.objects.get(user=w.designer).public_id)},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/assign/<uuid:assignment_id>/end/": Case(
        method="post",
        kwargs=an_order_assignment,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/return-date/": Case(
        method="post",
        kwargs=an_order("accepted"),
        data=lambda w: {"return_date": "2099-01-07"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/messages/": Case(
        method="post",
        kwargs=an_order(),
        data=lambda w: {"body": "Which shade tab?"},
        right=("technician", 302),
        wrong=("designer", 404),  # not assigned to it
        other=("other_manager", 404),
    ),
    "orders/<uuid:order_id>/remake/": Case(
        method="post",
        kwargs=an_order("delivered"),
        data=lambda w: {"reason": "fit", "note": "Open margin."},
        right=("dentist", 302),
        wrong=NA("every practice role may draft a remake"),
        other=("other_owner", 404),
    ),
    "orders/<uuid:order_id>/files/": Case(
        method="post",
        kwargs=an_order("info_requested"),
        data=lambda w: {"item": "00000000-0000-0000-0000-000000000000"},
        right=("assistant", 302),
        wrong=NA("every practice role may add files"),
        other=("other_owner", 404),
    ),
    "implants/": Case(
        right=("technician", 200),
        wrong=NA("every practice, lab and platform-staff role reads the library"),
        other=NA("the shared library and the acting lab's own additions"),
    ),
    "implants/<uuid:platform_id>/remove/": Case(
        method="post",
        kwargs=a_lab_platform,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "lab/settings/": Case(
        right=("manager", 200),
        wrong=("technician", 403),
        other=NA("edits only the acting lab's own settings"),
    ),
    "lab/settings/closures/": Case(
        method="post",
        data=lambda w: {"first_day": "2099-12-24", "reason": "Holiday"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=NA("adds to the acting lab's own calendar"),
    ),
    "lab/settings/closures/<uuid:closure_id>/remove/": Case(
        method="post",
        kwargs=a_closure,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "lab/settings/products/": Case(
        method="post",
        data=lambda w: {"restoration_type": "crown", "material": "zirconia", "lead_days": "5"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=NA("adds to the acting lab's own catalogue"),
    ),
    "lab/settings/products/<uuid:product_id>/remove/": Case(
        method="post",
        kwargs=a_product,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "lab/shared/": Case(
        right=("technician", 200),
        wrong=NA("every lab role; a designer sees only the shares assigned to them"),
        other=NA("lists only the acting lab's shares"),
    ),
    "lab/shared/<uuid:share_id>/": Case(
        kwargs=lambda w: {"share_id": a_share(w)["share_id"]},
        right=("technician", 200),
        wrong=("designer", 404),  # not assigned to it
        other=("other_manager", 404),
    ),
    "lab/shared/<uuid:share_id>/designers/": Case(
        method="post",
        kwargs=lambda w: {"share_id": a_share(w)["share_id"]},
        data=lambda w: {"designer": str(w.designer.public_id), "until": "2099-01-01"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "lab/shared/<uuid:share_id>/designers/<uuid:assignment_id>/revoke/": Case(
        method="post",
        kwargs=an_assignment,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "api/v1/orders/": Case(
        api=True,
        right=("technician", 200),
        wrong=NA("every practice or lab role; a designer sees only assigned orders"),
        other=NA("lists only the acting organization's orders"),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/": Case(
        api=True,
        kwargs=an_order(),
        right=("technician", 200),
        wrong=("designer", 404),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/steps/": Case(
        api=True,
        method="post",
        kwargs=an_order(),
        data=lambda w: {"transition": "accept"},
        right=("manager", 200),
        wrong=("technician", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/attachments/": Case(
        api=True,
        method="post",
        kwargs=an_order_with_a_scan,
        data=lambda w: {"item": str(w.scan_item_id)},
        right=("assistant", 201),
        wrong=NA("every practice role may add files"),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/messages/": Case(
        api=True,
        kwargs=an_order(),
        right=("technician", 200),
        wrong=("designer", 404),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/assignments/": Case(
        api=True,
        method="post",
        kwargs=an_order("accepted"),
        data=lambda w: {"member": str(Membership.objects.get(user=w.designer).public_id)},
        right=("manager", 201),
        wrong=("technician", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/orders/<uuid:order_id>/assignments/<uuid:assignment_id>/": Case(
        api=True,
        method="delete",
        kwargs=an_order_assignment,
        right=("manager", 200),
        wrong=("technician", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/implants/": Case(
        api=True,
        right=("technician", 200),
        wrong=NA("every practice and lab role reads the library"),
        other=NA("the shared library and the acting lab's own additions"),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/files/": Case(
        api=True,
        kwargs=lambda w: {"patient_id": a_scan(w)["patient_id"]},
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/files/<uuid:asset_id>/": Case(
        api=True,
        kwargs=a_scan,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("manager", 404),
        anon=401,
    ),
    "files/d/<str:token>/": Case(
        path=a_download_link,
        right=("owner", 200),
        wrong=("assistant", 404),  # a browser link works only for whom it was made
        other=("other_owner", 404),
        anon=404,
    ),
    "api/v1/organizations/<uuid:organization_id>/audit-events/": Case(
        api=True,
        kwargs=practice,
        right=("owner", 200),
        wrong=("dentist", 403),
        other=("other_owner", 404),
        anon=401,
    ),
}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _routes() -> dict[str, URLPattern]:
    return dict(_walk(get_resolver().url_patterns))


def test_every_url_pattern_has_an_entry():
    routes = set(_routes())
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"URL patterns without an authorization entry: {missing}"
    assert not stale, f"authorization entries for patterns that no longer exist: {stale}"


def _request(case: Case, route: str, world: World, persona: str | None):
    pattern = _routes()[route]
    if case.path is not None:
        url = case.path(world)
    else:
        url = reverse(pattern.name, kwargs=case.kwargs(world)) if pattern.name else "/" + route
    user = getattr(world, persona) if persona else None
    if case.api:
        client = client_for(None)
        headers = {}
        if user is not None:
            membership = Membership.objects.get(user=user)
            secret = api_token_create(
                actor=Principal(user=user, membership=membership), name="m", valid_days=1
            ).secret
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        return getattr(client, case.method)(
            url,
            data=case.data(world),
            content_type="application/json",
            headers=case.headers(world),
            **headers,
        )
    client = client_for(user)
    return getattr(client, case.method)(url, data=case.data(world), headers=case.headers(world))


def _check(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected, (response.status_code, expected)


AUDIENCES = ("right", "wrong", "other", "anon")
CASES = [
    pytest.param(route, audience, id=f"{audience}:{route or '/'}")
    for route in MATRIX
    for audience in AUDIENCES
    if not isinstance(getattr(MATRIX[route], audience), NA)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "audience"), CASES)
def test_matrix(world, route, audience):
    case = MATRIX[route]
    outcome = getattr(case, audience)
    if audience == "anon":
        persona, expected = None, outcome
    else:
        persona, expected = outcome
    _check(_request(case, route, world, persona), expected)


def test_tenant_scoped_routes_state_all_four_audiences():
    """Every route carrying a tenant's object id must say what the other tenant gets."""
    for route, case in MATRIX.items():
        if any(f"<uuid:{key}>" in route for key in ("organization_id", "patient_id", "archive_id")):
            assert not isinstance(case.other, NA), route
            assert not isinstance(case.right, NA), route
