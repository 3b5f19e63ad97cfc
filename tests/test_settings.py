"""Settings come from the environment and fail loudly (DESIGN.md §4, STYLE.md §8). Each case
boots Django in a fresh process with the given environment, as an operator would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each case boots its own process on its own SQLite file, whatever the suite's database: run once
# per make test (the standalone tier), with a ceiling for a hung boot, not a speed limit.
pytestmark = pytest.mark.standalone

ROOT = Path(__file__).resolve().parent.parent
BOOT_CEILING = 600  # seconds
PROD = {
    "DENTALBRIDGE_PROFILE": "production",
    "SECRET_KEY": "prod-" + "0123456789abcdefghijklmnopqrstuvwxyz" * 2,
    "ALLOWED_HOSTS": "dentalbridge.example",
    "SITE_URL": "https://dentalbridge.example",
    "DATABASE_URL": "sqlite:///{tmp}/prod.sqlite3",
    "STORAGE_BACKEND": "s3",
    "S3_BUCKET": "dentalbridge-files",
    "S3_ENDPOINT_URL": "https://s3.dentalbridge.example",
    "EMAIL_URL": "smtp://mailer.example:587?starttls=1",
    "FILES_MASTER_KEYS": "m2026:" + "A" * 43 + "=",
    "AUDIT_KEYS": "a2026:" + "B" * 43 + "=",
}


def boot(env: dict, code: str = "", tmp_path: Path = ROOT / "var", args=()):
    # Nothing of this test process's own configuration may leak into the booted one.
    inherited = ("PYTEST", "DATABASE_URL", "DJANGO_", "DENTALBRIDGE_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DENTALBRIDGE_DATA_DIR": str(tmp_path),
        }
    )
    clean.update({k: v.format(tmp=tmp_path) for k, v in env.items()})
    command = [sys.executable, "-c", "import django; django.setup()\n" + code, *args]
    if args:
        command = [sys.executable, "manage.py", *args]
    return subprocess.run(
        command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=BOOT_CEILING
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "mysql://root@localhost/db"},
            "DATABASE_URL must be a sqlite:/// or postgres",
        ),
        ({"DATABASE_URL": "postgres://localhost:5432/"}, "names no database"),
        ({"TASKS_BACKEND": "carrier-pigeon"}, "TASKS_BACKEND='carrier-pigeon' is not one of"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND='ftp' is not one of"),
        ({"EMAIL_URL": "pop3://mail.example"}, "EMAIL_URL='pop3://mail.example': use smtp://"),
        ({"EMAIL_URL": "smtp://mail.example:notaport"}, "EMAIL_URL has an invalid port"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe' is not a boolean"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 characters"),
        ({"CACHE_URL": "memcached://x"}, "CACHE_URL='memcached://x'"),
        (
            {"SECRET_KEY_FILE": "/nonexistent/key"},
            "SECRET_KEY_FILE='/nonexistent/key' cannot be read",
        ),
        ({"DENTALBRIDGE_PROFILE": "production"}, "SECRET_KEY is required"),
        ({**PROD, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is set but lists nothing"),
        ({**PROD, "SITE_URL": "http://dentalbridge.example"}, "must be an https:// address"),
        (
            {k: v for k, v in PROD.items() if k != "FILES_MASTER_KEYS"},
            "FILES_MASTER_KEYS is required",
        ),
        (
            {k: v for k, v in PROD.items() if k != "AUDIT_KEYS"},
            "AUDIT_KEYS is required",
        ),
    ],
)
def test_malformed_setting_stops_the_boot_with_a_clear_message(env, message, tmp_path):
    result = boot(env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_embedded_default_needs_no_variables(tmp_path):
    code = (
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'engine': s.DATABASES['default']['ENGINE'], 'tasks': s.TASKS['default']['BACKEND'],"
        "'storage': s.STORAGES['default']['BACKEND'], 'hasher': s.PASSWORD_HASHERS[0],"
        "'wal': s.DATABASES['default']['OPTIONS']['init_command']}))"
    )
    result = boot({}, code, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["tasks"] == "django_tasks_db.DatabaseBackend"
    assert values["storage"] == "django.core.files.storage.FileSystemStorage"
    assert values["hasher"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "journal_mode=WAL" in values["wal"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # generated, private


def test_production_profile_passes_check_deploy_without_warnings(tmp_path):
    result = boot(PROD, tmp_path=tmp_path, args=("check", "--deploy", "--fail-level", "WARNING"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_sends_strict_csp_hsts_and_secure_cookies(tmp_path):
    code = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from django.test import Client
c = Client(HTTP_HOST="dentalbridge.example", headers={"X-Forwarded-Proto": "https"})
r = c.get("/accounts/login/", secure=True)
import json
cookie = r.cookies["__Host-csrftoken"]
print(json.dumps({"status": r.status_code, "csp": r["Content-Security-Policy"],
  "hsts": r["Strict-Transport-Security"], "secure": bool(cookie["secure"]),
  "httponly": bool(cookie["httponly"]), "samesite": cookie["samesite"],
  "insecure": Client(HTTP_HOST="dentalbridge.example").get("/accounts/login/").status_code}))
"""
    env = {**PROD, "STORAGE_BACKEND": "local", "STATIC_ROOT": "{tmp}/static"}
    result = boot(env, code, tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["status"] == 200
    csp = values["csp"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert values["hsts"].startswith("max-age=63072000; includeSubDomains; preload")
    assert (values["secure"], values["httponly"], values["samesite"]) == (True, True, "Lax")
    assert values["insecure"] == 301  # plain HTTP is redirected to HTTPS


def test_social_sign_in_appears_only_when_the_operator_sets_keys(tmp_path):
    code = """
from django.conf import settings
from django.urls import reverse, NoReverseMatch
apps = [a for a in settings.INSTALLED_APPS if "providers" in a]
try:
    reverse("google_login"); routed = True
except NoReverseMatch:
    routed = False
print(apps, routed)
"""
    without = boot({}, code, tmp_path)
    assert without.stdout.strip() == "[] False", without.stderr
    keys = {"GOOGLE_CLIENT_ID": "id.apps.example", "GOOGLE_CLIENT_SECRET": "not-a-real-secret"}
    with_keys = boot(keys, code, tmp_path)
    assert with_keys.stdout.strip() == "['allauth.socialaccount.providers.google'] True"
    missing_secret = boot({"GOOGLE_CLIENT_ID": "id.apps.example"}, code, tmp_path)
    assert "GOOGLE_CLIENT_SECRET is required" in missing_secret.stderr
