"""Typed readers for environment variables that fail loudly (STYLE.md §8).

Every reader raises ``ImproperlyConfigured`` naming the variable and what was expected, so a
malformed value stops the boot with a message an operator can act on. Secrets may come from the
variable itself or from a file named by ``<NAME>_FILE`` (Docker/Kubernetes secrets).
"""

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from dj_database_url import DBConfig

_MISSING = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, default=_MISSING):
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    value = os.environ.get(name)
    if value is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default
    return value


def env_str(name: str, default=_MISSING) -> str:
    return _raw(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name, None)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name, None)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from exc
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name, None)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} is set but lists nothing; give comma-separated values.")
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def env_database(name: str, default: str) -> "DBConfig":
    """Parse ``DATABASE_URL`` with dj-database-url; only SQLite and PostgreSQL are supported."""
    import dj_database_url

    url = _raw(name, default)
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:/// or postgres:// URL, not {scheme or url!r}."
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=0)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is malformed: {exc}") from exc
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} names no database (postgres://user@host:port/NAME).")
    return config


def env_email(name: str, default: str) -> dict:
    """Parse ``EMAIL_URL`` into a Django ``MAILERS["default"]`` entry:
    ``smtp://user:pass@host:587?starttls=1``, ``smtps://…``, ``console://``,
    ``file:///path/to/dir`` or ``locmem://``."""
    url = _raw(name, default)
    parts = urlsplit(url)
    scheme = parts.scheme
    backends = "django.core.mail.backends."
    if scheme == "console":
        return {"BACKEND": backends + "console.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": backends + "locmem.EmailBackend"}
    if scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(f"{name}={url!r}: a file:// URL needs a directory path.")
        return {
            "BACKEND": backends + "filebased.EmailBackend",
            "OPTIONS": {"file_path": parts.path},
        }
    if scheme in {"smtp", "smtps"}:
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}={url!r} names no SMTP host.")
        try:
            port = parts.port or (465 if scheme == "smtps" else 25)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name} has an invalid port: {exc}") from exc
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["0"])[0].lower() in _TRUE
        return {
            "BACKEND": backends + "smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname,
                "port": port,
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_ssl": scheme == "smtps",
                "use_tls": starttls,
                "timeout": 20,
            },
        }
    raise ImproperlyConfigured(
        f"{name}={url!r}: use smtp://, smtps://, console://, file:///dir or locmem://."
    )


def env_retention_overrides(name: str) -> dict[str, dict[str, str]]:
    """``medical_archive:NL=20y,IT=10y,*=10y;communications:*=30d`` → {rule: {country: period}}.

    Countries are ISO codes or ``*`` (everywhere else); periods are years and/or days (``10y``,
    ``30d``, ``1y30d``). Rule names are checked against the processing register by a system
    check, once the apps are loaded."""
    value = _raw(name, None)
    result: dict[str, dict[str, str]] = {}
    for group in filter(None, (part.strip() for part in (value or "").split(";"))):
        rule, sep, entries = group.partition(":")
        rule = rule.strip()
        if not sep or not rule:
            raise ImproperlyConfigured(f"{name}: {group!r} is not RULE:COUNTRY=PERIOD,…")
        for item in entries.split(","):
            code, _, period = item.strip().partition("=")
            code = code.strip().upper()
            period = period.strip().lower()
            valid_code = code == "*" or (len(code) == 2 and code.isalpha() and code.isascii())
            if not valid_code or not re.fullmatch(r"(?=\d)(\d+y)?(\d+d)?", period):
                raise ImproperlyConfigured(
                    f"{name}: {item.strip()!r} is not COUNTRY=PERIOD (e.g. NL=20y, *=30d)."
                )
            result.setdefault(rule, {})[code] = period
    return result
