"""One isolated DentalBridge for a benchmark run: environment, Django, schema, static files, data.

Django reads its settings once per process, so a process benchmarks exactly one database
(``run.py`` starts one child process per database). Everything lives in a fresh temporary
directory, or, for PostgreSQL, in a database created for the run and dropped afterwards.
"""

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POSTGRES_DB_NAME = "dentalbridge_bench"
# The patients scenario has its own database, so the two scenarios never share (or drop) data.
POSTGRES_PATIENTS_DB_NAME = "dentalbridge_bench_patients"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 — a fixed, public demo secret


def configure_environment(
    database: str, data_dir: Path, postgres_server: str, db_name: str = POSTGRES_DB_NAME
) -> None:
    """Point the settings module at the run's own data, before Django is imported.

    The *embedded* profile is what a small practice runs (SQLite in WAL mode, Argon2). The
    *test* profile is avoided on purpose: it swaps the password hasher and other defaults, so it
    would measure a configuration nobody deploys. Values that could leak in from the caller's
    shell (debug mode, storage, hosts) are pinned so every run measures the same thing.
    """
    if database == "sqlite":
        database_url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    else:
        database_url = f"{postgres_server}/{db_name}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DENTALBRIDGE_PROFILE": "embedded",
            "DENTALBRIDGE_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "TASKS_BACKEND": "immediate",
            "EMAIL_URL": "locmem://",
            "CACHE_URL": "locmem://",
            "STORAGE_BACKEND": "local",
            "STATIC_ROOT": str(data_dir / "static"),
            "MEDIA_ROOT": str(data_dir / "media"),
            "DJANGO_DEBUG": "false",
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
        }
    )


def postgres_create(postgres_server: str, db_name: str = POSTGRES_DB_NAME) -> None:
    """(Re)create the bench database; a database left behind by an aborted run is dropped."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True, connect_timeout=5) as db:
        name = sql.Identifier(db_name)
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        db.execute(sql.SQL("CREATE DATABASE {}").format(name))


def postgres_drop(postgres_server: str, db_name: str = POSTGRES_DB_NAME) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True, connect_timeout=5) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db_name)))


def prepare_django() -> None:
    """Start Django, create the schema and collect static files.

    Static files matter: the embedded profile serves them through WhiteNoise's manifest storage,
    and every ``{% static %}`` in a page needs the manifest, as in production.
    """
    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    django.setup()
    # The bench URLconf adds the bare baseline view; set before the first URL is resolved.
    override_settings(ROOT_URLCONF="bench.urls").enable()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def database_description() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
            return f"SQLite {connection.Database.sqlite_version}, journal_mode={mode}, file DB"
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
        return f"PostgreSQL {version}, synchronous_commit={sync}, TCP 127.0.0.1"


@dataclass
class World:
    """The fixtures every measurement uses: one practice, its owner, members and a token."""

    user: object
    organization: object
    membership: object
    principal: object
    token_secret: str
    member_count: int


def build_world(extra_members: int = 20) -> World:
    """Create the fixtures with the project's own code, as a real practice would have them.

    The owner has a verified address and TOTP enrolled: the second-factor middleware sends an
    owner without one to the enrolment page (and the API refuses their token).
    """
    from dentalbridge.accounts.models import User
    from dentalbridge.accounts.services import api_token_create, totp_enrol
    from dentalbridge.organizations.models import Membership, Organization, OrganizationKind, Role
    from dentalbridge.privacy.principal import Principal

    organization = Organization.objects.create(
        kind=OrganizationKind.PRACTICE, name="Bench Dental", country="NL", city="Utrecht"
    )
    # No passwords: nobody signs in with one here (the client uses force_login), and Argon2
    # would add seconds of set-up for nothing.
    user = User.objects.create_user("olivia.owner@bench.example", None, full_name="Olivia Owner")
    user.emailaddress_set.create(email=user.email, verified=True, primary=True)
    Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
    totp_enrol(user=user, secret=TOTP_SECRET)

    # Enough members that the member list is a real list (and an N+1 would show).
    for i in range(extra_members):
        member = User.objects.create_user(
            f"member{i:02d}@bench.example", None, full_name=f"Member {i:02d}"
        )
        member.emailaddress_set.create(email=member.email, verified=True, primary=True)
        role = Role.DENTIST if i % 2 else Role.ASSISTANT
        Membership.objects.create(user=member, organization=organization, role=role)

    membership = Membership.objects.select_related("organization", "user").get(
        user=user, organization=organization
    )
    principal = Principal(user=user, membership=membership)
    issued = api_token_create(actor=principal, name="bench", valid_days=30)
    return World(
        user=user,
        organization=membership.organization,
        membership=membership,
        principal=principal,
        token_secret=issued.secret,
        member_count=extra_members + 1,
    )
