"""Demo data: one practice (owner-dentist, assistant), one lab (manager, technician), one
freelance designer, one platform DPO, a practice-lab connection, and — once, while the practice
has no patients — three fictional patients with a note each and three orders to the lab (a
draft, one waiting in the lab's inbox, one accepted with a message each way). Idempotent.

Every demo account shares one password and one *published* TOTP secret, so a visitor can sign in
with any authenticator app. Never run this against a production database: it refuses to in the
production profile.
"""

import io
from datetime import date
from typing import cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from dentalbridge.accounts.models import User
from dentalbridge.accounts.services import totp_enrol
from dentalbridge.organizations.models import (
    ConnectionStatus,
    LabConnection,
    Membership,
    Organization,
)

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 — published demo credential
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"  # noqa: S105 — published demo credential

ORGANIZATIONS = {
    "practice": {
        "kind": "practice",
        "name": "Studio Dentistico Demo",
        "country": "IT",
        "city": "Bologna",
        "street": "Via dell'Esempio 1",
        "postal_code": "40121",
        "vat_number": "IT00743110157",
        "sdi_code": "ABC1234",
        "pec": "studio@pec.demo.example",
        "billing_email": "billing@studio.demo.example",
        "contact_person": "Giulia Demo",
        "salutation": "dr",
    },
    "lab": {
        "kind": "lab",
        "name": "Demo Dental Lab",
        "country": "NL",
        "city": "Utrecht",
        "street": "Voorbeeldstraat 12",
        "postal_code": "3511 AB",
        "vat_number": "NL004495445B01",
        "billing_email": "billing@lab.demo.example",
        "contact_person": "Lars Demo",
    },
    "platform": {"kind": "platform", "name": "DentalBridge Demo Operator", "country": "NL"},
}

# Fictional patients of the demo practice (names say so; addresses are .example).
PATIENTS = [
    # given, family, born, sex, e-mail, first note
    ("Anna", "Esempio", date(1979, 3, 14), "female", "anna.esempio@patient.demo.example",
     "Fictional demo patient. Fractured incisal edge on 11; crown planned."),
    ("Luca", "Prova", date(1965, 11, 2), "male", "luca.prova@patient.demo.example",
     "Fictional demo patient. 15 missing; bridge 14 to 16 agreed."),
    ("Sofia", "Demo", date(2001, 6, 21), "female", "",
     "Fictional demo patient. Bruxism; night guard for the upper jaw."),
]  # fmt: skip

ACCOUNTS = [
    # e-mail, name, organization, role
    ("owner@studio.demo.example", "Dr Giulia Demo", "practice", "owner"),
    ("assistant@studio.demo.example", "Marco Assistant", "practice", "assistant"),
    ("manager@lab.demo.example", "Lars Manager", "lab", "manager"),
    ("technician@lab.demo.example", "Sanne Technician", "lab", "technician"),
    ("designer@freelance.demo.example", "Ioana Designer", "lab", "designer"),
    ("dpo@platform.demo.example", "Pieter DPO", "platform", "dpo"),
]


def arch_model_stl() -> bytes:
    """A generated upper-jaw model (binary STL, millimetres): a horseshoe base with fourteen
    rounded teeth along it. Shaped like a dental model so the 3D viewer has something to show;
    the demo labels it as generated, never as a patient's scan."""
    import numpy as np
    import trimesh

    angles = np.linspace(-1.75, 1.75, 48)  # about ±100° around the arch
    centre = np.column_stack([25 * np.sin(angles), 30 * np.cos(angles)])
    outward = np.column_stack([np.sin(angles) / 25, np.cos(angles) / 30])
    outward /= np.linalg.norm(outward, axis=1)[:, None]
    corners = []  # per section: inner-bottom, outer-bottom, outer-top, inner-top
    for point, normal in zip(centre, outward, strict=True):
        inner, outer = point - 6 * normal, point + 6 * normal
        corners += [[*inner, 0], [*outer, 0], [*outer, 10], [*inner, 10]]
    faces = []
    for k in range(len(angles) - 1):
        a, b = 4 * k, 4 * (k + 1)
        for i in range(4):
            j = (i + 1) % 4
            faces += [[a + i, b + i, b + j], [a + i, b + j, a + j]]
    last = 4 * (len(angles) - 1)
    faces += [[0, 2, 1], [0, 3, 2], [last, last + 1, last + 2], [last, last + 2, last + 3]]
    parts = [trimesh.Trimesh(vertices=corners, faces=faces)]
    for n, angle in enumerate(np.linspace(-1.55, 1.55, 14)):
        radius = (4.6, 4.6, 4.2, 3.6, 3.4, 3.2, 3.6)[min(n, 13 - n)]  # molars to incisors
        tooth = trimesh.creation.capsule(height=5.0, radius=radius, count=[16, 16])
        tooth.apply_translation([25 * np.sin(angle), 30 * np.cos(angle), 12])
        parts.append(tooth)
    model = cast("trimesh.Trimesh", trimesh.util.concatenate(parts))  # meshes make a mesh
    model.fix_normals()
    return cast(bytes, model.export(file_type="stl"))  # binary STL


class Command(BaseCommand):
    help = "Load the demo organizations and one account per role (idempotent)."

    def _operator(self) -> None:
        """The demo operator's own part of the processing register (fictional), so the privacy
        notice and the record of processing read as they would in a real installation."""
        from dentalbridge.gdpr.models import OperatorDetails, Safeguard, SubProcessor

        if not OperatorDetails.objects.exists():
            OperatorDetails.objects.create(
                name="DentalBridge Demo Operator B.V. (fictional)",
                address="Demostraat 1\n3511 AA Utrecht\nNetherlands",
                email="privacy@operator.example",
                country="NL",
                dpo_name="Dee DPO",
                dpo_email="dpo@operator.example",
            )
        SubProcessor.objects.get_or_create(
            name="Example Hosting GmbH (fictional)",
            defaults={
                "service": "Servers and object storage",
                "location": "DE",
                "safeguard": Safeguard.EEA,
            },
        )

    def _patients_and_orders(self, orgs: dict) -> None:
        """What a practice and a lab would have on a working day, made through the services
        like any user's work (audited, notified). Only while the practice has no patients, so a
        second run — or someone's own patients — is left alone."""
        from dentalbridge.orders import services as orders
        from dentalbridge.orders.selectors import lab_calendar
        from dentalbridge.orders.workflow import Transition
        from dentalbridge.patients import access as patients_access
        from dentalbridge.patients import services as patients
        from dentalbridge.patients.models import RecordItemKind
        from dentalbridge.privacy.principal import Principal

        practice, lab = orgs["practice"], orgs["lab"]
        if patients_access.practice_has_patients(practice):
            return

        def principal(email, organization):
            membership = Membership.objects.get(user__email=email, organization=organization)
            return Principal(user=membership.user, membership=membership)

        dentist = principal("owner@studio.demo.example", practice)
        manager = principal("manager@lab.demo.example", lab)
        made = []
        for given, family, born, sex, email, note in PATIENTS:
            patient = patients.patient_create(
                actor=dentist,
                given_name=given,
                family_name=family,
                date_of_birth=born,
                sex=sex,
                email=email,
                attending_dentist=dentist.user,
            )
            patients.record_item_create(
                actor=dentist,
                patient_id=patient.public_id,
                kind=RecordItemKind.NOTE,
                title="First visit",
                text=note,
            )
            made.append(patient)
        model = self._upload(dentist, made[1], arch_model_stl())
        due = lab_calendar(lab).add_working_days(timezone.localdate(), 10)
        prescriptions = [
            [{"restoration_type": "crown", "teeth": [11], "material": "zirconia", "shade": "A2"}],
            [
                {
                    "restoration_type": "bridge",
                    "teeth": [14, 15, 16],
                    "pontics": [15],
                    "material": "zirconia",
                    "shade": "A3",
                }
            ],
            [{"restoration_type": "splint", "arch": "upper", "material": "pmma"}],
        ]
        sent = []
        for patient, items in zip(made, prescriptions, strict=True):
            order = orders.order_create(
                actor=dentist, patient_id=patient.public_id, lab_id=lab.public_id
            )
            orders.order_save_draft(
                actor=dentist,
                order_id=order.public_id,
                data={"due_date": due.isoformat(), "items": items},
            )
            sent.append(order)
        orders.order_attach(actor=dentist, order_id=sent[1].public_id, item_id=model.public_id)
        for order in sent[1:]:  # the first stays a draft
            orders.order_transition(
                actor=dentist, order_id=order.public_id, transition=Transition.SUBMIT
            )
        accepted = sent[2]
        orders.order_transition(
            actor=manager, order_id=accepted.public_id, transition=Transition.ACCEPT
        )
        orders.order_message_post(
            actor=manager,
            order_id=accepted.public_id,
            body="Thank you. Shall we make it 2 mm thick, hard on the outside and soft inside?",
        )
        orders.order_message_post(
            actor=dentist,
            order_id=accepted.public_id,
            body="Yes, 2 mm, dual-laminate please.",
        )

    def _upload(self, actor, patient, data: bytes):
        """The model goes in as any upload does (encrypted, checked, processed by the worker)."""
        from dentalbridge.files import uploads
        from dentalbridge.patients import access as patients_access
        from dentalbridge.patients.models import RecordItemKind

        upload = uploads.upload_create(
            actor=actor,
            length=len(data),
            metadata={
                "filename": "upper-jaw-demo-model.stl",
                "patient": str(patient.public_id),
                "kind": RecordItemKind.SCAN,
                "jaw": "upper",
                "title": "Upper jaw — generated demo model, not a real scan",
            },
        )
        uploads.upload_receive(
            actor=actor,
            upload_id=upload.public_id,
            offset=0,
            content_length=len(data),
            body=io.BytesIO(data),
        )
        return next(i for i in patients_access.record_of(patient) if i.kind == RecordItemKind.SCAN)

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run in the production profile.")
        with transaction.atomic():
            orgs = {}
            for key, fields in ORGANIZATIONS.items():
                fields = dict(fields)
                org = Organization.objects.filter(name=fields["name"], kind=fields["kind"]).first()
                orgs[key] = org or Organization.objects.create(**fields)
            for email, name, org_key, role in ACCOUNTS:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
                user.emailaddress_set.get_or_create(
                    email=email, defaults={"verified": True, "primary": True}
                )
                totp_enrol(user=user, secret=DEMO_TOTP_SECRET)
                Membership.objects.get_or_create(
                    user=user, organization=orgs[org_key], defaults={"role": role}
                )
            LabConnection.objects.get_or_create(
                practice=orgs["practice"],
                lab=orgs["lab"],
                defaults={"status": ConnectionStatus.ACCEPTED},
            )
            self._operator()
            self._patients_and_orders(orgs)
        self.stdout.write("Demo data ready. Sign in at http://127.0.0.1:8000 with:")
        for email, _name, org_key, role in ACCOUNTS:
            self.stdout.write(f"  {email:<34} {role:<11} {orgs[org_key].name}")
        self.stdout.write(f"  password: {DEMO_PASSWORD}")
        self.stdout.write(f"  2FA (TOTP) secret for every demo account: {DEMO_TOTP_SECRET}")
