"""The GDPR workflows' models, moved here from the privacy app with their tables unchanged
(``Meta.db_table`` keeps the privacy_* names): state only, no table is created."""

import uuid

import django.db.models.deletion
import django.utils.timezone
import django_countries.fields
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("privacy", "0010_gdpr_tables_move_to_gdpr_app"),
        ("organizations", "0002_organization_storage_quota"),
        ("patients", "0007_restriction_and_closing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ErasureRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("executed_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("organization_id", models.UUIDField()),
                        ("patient_ref", models.UUIDField(blank=True, db_index=True, null=True)),
                        ("user_ref", models.UUIDField(blank=True, db_index=True, null=True)),
                        ("receipt", models.JSONField(default=dict)),
                    ],
                    options={
                        "db_table": "privacy_erasurerecord",
                        "ordering": ["executed_at"],
                    },
                ),
                migrations.CreateModel(
                    name="OperatorDetails",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "name",
                            models.CharField(
                                max_length=200, verbose_name="operator (controller) name"
                            ),
                        ),
                        (
                            "address",
                            models.TextField(max_length=500, verbose_name="postal address"),
                        ),
                        ("email", models.EmailField(max_length=254, verbose_name="contact e-mail")),
                        (
                            "country",
                            django_countries.fields.CountryField(
                                max_length=2, verbose_name="country of establishment"
                            ),
                        ),
                        (
                            "dpo_name",
                            models.CharField(
                                max_length=200, verbose_name="data protection officer"
                            ),
                        ),
                        ("dpo_email", models.EmailField(max_length=254, verbose_name="DPO e-mail")),
                        (
                            "dpo_address",
                            models.TextField(
                                blank=True, max_length=500, verbose_name="DPO postal address"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "privacy_operatordetails",
                    },
                ),
                migrations.CreateModel(
                    name="SubProcessor",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        ("service", models.CharField(max_length=300, verbose_name="service")),
                        (
                            "location",
                            django_countries.fields.CountryField(
                                max_length=2, verbose_name="where the data is processed"
                            ),
                        ),
                        (
                            "safeguard",
                            models.CharField(
                                choices=[
                                    ("eea", "Within the EU/EEA: no transfer"),
                                    ("adequacy", "Adequacy decision (Art. 45)"),
                                    ("scc", "Standard contractual clauses (Art. 46(2)(c))"),
                                    ("art49", "Explicit consent of the person (Art. 49(1)(a))"),
                                ],
                                max_length=16,
                                verbose_name="transfer safeguard",
                            ),
                        ),
                        ("position", models.PositiveSmallIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "privacy_subprocessor",
                        "ordering": ["position", "name"],
                    },
                ),
                migrations.CreateModel(
                    name="Breach",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("reference", models.CharField(max_length=16, unique=True)),
                        (
                            "title",
                            models.CharField(
                                max_length=200, verbose_name="what happened, in a line"
                            ),
                        ),
                        (
                            "description",
                            models.TextField(max_length=10000, verbose_name="what happened"),
                        ),
                        ("detected_at", models.DateTimeField(verbose_name="detected at")),
                        (
                            "occurred_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="started at (if known)"
                            ),
                        ),
                        ("categories", models.JSONField(default=list)),
                        (
                            "subjects_count",
                            models.PositiveIntegerField(
                                verbose_name="people affected (approximately)"
                            ),
                        ),
                        (
                            "consequences",
                            models.TextField(max_length=5000, verbose_name="likely consequences"),
                        ),
                        (
                            "measures",
                            models.TextField(
                                max_length=5000, verbose_name="measures taken or proposed"
                            ),
                        ),
                        (
                            "high_risk",
                            models.BooleanField(
                                default=False,
                                verbose_name="likely a high risk to the people affected (they must be told, Art. 34)",
                            ),
                        ),
                        ("authority_notified_at", models.DateTimeField(blank=True, null=True)),
                        ("authority_reference", models.CharField(blank=True, max_length=100)),
                        ("late_reason", models.CharField(blank=True, max_length=1000)),
                        ("people_notified_at", models.DateTimeField(blank=True, null=True)),
                        ("people_notified", models.PositiveIntegerField(default=0)),
                        ("closed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "privacy_breach",
                        "ordering": ["-detected_at"],
                    },
                ),
                migrations.CreateModel(
                    name="DeletionInstruction",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("pseudonym", models.CharField(max_length=12)),
                        ("order_references", models.JSONField(default=list)),
                        ("request_reference", models.CharField(blank=True, max_length=16)),
                        ("due_at", models.DateTimeField(db_index=True)),
                        ("done_at", models.DateTimeField(blank=True, null=True)),
                        ("note", models.CharField(blank=True, max_length=500)),
                        ("reminders", models.JSONField(blank=True, default=list)),
                        (
                            "done_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "lab",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="organizations.organization",
                            ),
                        ),
                        (
                            "practice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="organizations.organization",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "privacy_deletioninstruction",
                        "ordering": ["due_at"],
                    },
                ),
                migrations.CreateModel(
                    name="LegalHold",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("litigation", "Litigation or a claim"),
                                    ("authority", "An authority's investigation"),
                                    ("tax", "Tax or accounting audit"),
                                    ("other", "Another legal reason"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("reason", models.CharField(max_length=500)),
                        ("lifted_at", models.DateTimeField(blank=True, null=True)),
                        ("lift_reason", models.CharField(blank=True, max_length=500)),
                        (
                            "lifted_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="organizations.organization",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="patients.patient",
                            ),
                        ),
                        (
                            "placed_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "privacy_legalhold",
                    },
                ),
                migrations.CreateModel(
                    name="PolicyVersion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveIntegerField(unique=True)),
                        ("published_at", models.DateTimeField()),
                        ("summary", models.TextField(max_length=4000, verbose_name="what changed")),
                        ("reconsent_purposes", models.JSONField(blank=True, default=list)),
                        ("announced_at", models.DateTimeField(blank=True, null=True)),
                        ("notified", models.PositiveIntegerField(default=0)),
                        (
                            "published_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "privacy_policyversion",
                        "ordering": ["-number"],
                    },
                ),
                migrations.CreateModel(
                    name="RetentionRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("started_at", models.DateTimeField()),
                        ("finished_at", models.DateTimeField()),
                        ("dry_run", models.BooleanField(default=False)),
                        ("report", models.JSONField(default=list)),
                        (
                            "run_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "privacy_retentionrun",
                        "ordering": ["-started_at"],
                    },
                ),
                migrations.CreateModel(
                    name="DataRequest",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("reference", models.CharField(max_length=16, unique=True)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("access", "Access: a copy of my data"),
                                    ("portability", "Portability: my data for another provider"),
                                    ("rectification", "Rectification: correct my data"),
                                    ("erasure", "Erasure: delete my data"),
                                    ("restriction", "Restriction: only store my data for now"),
                                    (
                                        "objection",
                                        "Objection: stop a processing (including profiling)",
                                    ),
                                    ("withdrawal", "Withdrawal of consent"),
                                    ("account_closure", "Close my account"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("unverified", "Waiting for e-mail confirmation"),
                                    ("open", "Open"),
                                    ("done", "Answered"),
                                    ("refused", "Refused"),
                                ],
                                max_length=12,
                            ),
                        ),
                        ("patient_ref", models.UUIDField(blank=True, db_index=True, null=True)),
                        ("name", models.CharField(blank=True, max_length=200)),
                        ("email", models.EmailField(blank=True, max_length=254)),
                        ("details", models.TextField(blank=True, max_length=5000)),
                        (
                            "verification_hash",
                            models.CharField(blank=True, db_index=True, max_length=64),
                        ),
                        ("verification_expires_at", models.DateTimeField(blank=True, null=True)),
                        ("received_at", models.DateTimeField(blank=True, null=True)),
                        ("due_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                        ("extension_reason", models.CharField(blank=True, max_length=1000)),
                        ("reminders", models.JSONField(blank=True, default=list)),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        ("answer", models.TextField(blank=True, max_length=10000)),
                        ("outcome", models.JSONField(blank=True, default=dict)),
                        (
                            "answered_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "controller",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="organizations.organization",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="patients.patient",
                            ),
                        ),
                        (
                            "received_via",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="organizations.organization",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "privacy_datarequest",
                        "ordering": ["due_at", "created_at"],
                        "indexes": [
                            models.Index(
                                fields=["controller", "status", "due_at"], name="dsr_queue"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ConsentRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                        ),
                        ("visitor_id", models.CharField(blank=True, db_index=True, max_length=32)),
                        ("purpose", models.CharField(max_length=40)),
                        ("given", models.BooleanField()),
                        (
                            "method",
                            models.CharField(
                                choices=[
                                    ("form", "Checkbox on a form"),
                                    ("cookie_banner", "Cookie banner"),
                                    ("cookie_settings", "Cookie settings"),
                                    ("unsubscribe", "Unsubscribe link"),
                                    ("data_request", "Withdrawal request"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("text_shown", models.TextField(max_length=2000)),
                        ("language", models.CharField(blank=True, max_length=8)),
                        ("ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.CharField(blank=True, max_length=300)),
                        (
                            "user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "policy_version",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="gdpr.policyversion",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "privacy_consentrecord",
                        "ordering": ["created_at", "pk"],
                        "indexes": [
                            models.Index(
                                fields=["user", "purpose", "created_at"], name="consent_user"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
