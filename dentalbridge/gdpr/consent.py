"""The consent ledger and cookie consent (PRV-2, COM-3, PRV-9).

Consent is asked only for purposes the register marks ``consent_required``. Every choice adds a
line to the ledger (``ConsentRecord``) with the words shown and the notice version; the latest
line per subject and purpose is the state. Processing that needs consent asks ``has_consent`` at
the moment it runs — a withdrawal counts from then on, even for work already queued.

Cookie consent is kept in a cookie of its own (storing the choice is strictly necessary), holding
the categories chosen, a random visitor id and the notice version; the same choice is added to
the ledger under that visitor id (and the user, when signed in). Scripts of a category are
rendered into the page only when the cookie says yes, so nothing non-necessary loads before.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.http import client_of
from dentalbridge.gdpr import purposes
from dentalbridge.gdpr.models import ConsentMethod, ConsentRecord, PolicyVersion

COOKIE_NAME = "consent"
COOKIE_SALT = "dentalbridge.consent"
# Regulators (CNIL, AP) expect the question again after about six months.
COOKIE_MAX_AGE = 180 * 24 * 3600
# Cookie categories beyond the necessary ones, each a consent-based purpose of the register.
COOKIE_CATEGORIES = ("analytics", "marketing")


# The words on the screen when a choice is made; the ledger keeps them in the language shown.
BANNER_TEXT = _(
    "We use strictly necessary cookies to run the platform. With your consent we also use "
    "cookies for the categories below. You can change your choice at any time under “Cookie "
    "settings” at the bottom of every page."
)
CATEGORY_TEXT = {
    "analytics": _("Analytics: count visits and how pages are used, to improve the platform."),
    "marketing": _("Marketing: measure the operator's campaigns."),
}


def cookie_purpose(category: str) -> str:
    return f"cookies_{category}"


def current_policy() -> PolicyVersion | None:
    return PolicyVersion.objects.order_by("-number").first()


def record(
    *,
    purpose: str,
    given: bool,
    method: str,
    text_shown: str,
    user=None,
    visitor_id: str = "",
    ip: str | None = None,
    user_agent: str = "",
) -> ConsentRecord:
    """Add one line to the ledger. ``purpose`` must be a consent-based purpose of the register."""
    declared = purposes.purpose(purpose)
    if not declared.consent_required:
        raise ValueError(f"{purpose!r} is not a consent-based purpose in the register")
    if user is None and not visitor_id:
        raise ValueError("a consent needs a subject: a user or a visitor id")
    return ConsentRecord.objects.create(
        user=user,
        visitor_id=visitor_id,
        purpose=purpose,
        given=given,
        policy_version=current_policy(),
        method=ConsentMethod(method),
        text_shown=str(text_shown)[:2000],
        language=(get_language() or "")[:8],
        ip=ip,
        user_agent=(user_agent or "")[:300],
    )


def _reconsent_after(purpose: str) -> int:
    """The latest notice version that asked for ``purpose`` to be consented to again."""
    latest = 0
    for number, changed in PolicyVersion.objects.values_list("number", "reconsent_purposes"):
        if purpose in (changed or []):
            latest = max(latest, number)
    return latest


def _counts(line: ConsentRecord | None, purpose: str) -> bool:
    if line is None or not line.given:
        return False
    needed = _reconsent_after(purpose)
    version = line.policy_version.number if line.policy_version else 0
    return version >= needed


def latest(user, purpose: str) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.filter(user=user, purpose=purpose)
        .select_related("policy_version")
        .order_by("-created_at", "-pk")
        .first()
    )


def has_consent(user, purpose: str) -> bool:
    """Does ``user`` consent to ``purpose`` right now? Asked at the moment of processing."""
    if user is None or not getattr(user, "pk", None):
        return False
    return _counts(latest(user, purpose), purpose)


def users_consenting(purpose: str) -> list[int]:
    """Primary keys of the users whose consent to ``purpose`` counts now (one query per version
    check, not per user)."""
    newest = (
        ConsentRecord.objects.filter(purpose=purpose, user__isnull=False)
        .values("user")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    needed = _reconsent_after(purpose)
    lines = ConsentRecord.objects.filter(pk__in=list(newest), given=True).select_related(
        "policy_version"
    )
    return [
        line.user_id
        for line in lines
        if line.user_id is not None  # always: the query asks for users
        and (line.policy_version.number if line.policy_version else 0) >= needed
    ]


def needs_reconsent(user) -> list[str]:
    """Consent-based purposes the user had agreed to before a notice version that changed them:
    the platform asks again (PRV-9)."""
    asked = []
    for entry in purposes.PURPOSES:
        if not entry.consent_required:
            continue
        line = latest(user, entry.key)
        if line is not None and line.given and not _counts(line, entry.key):
            asked.append(entry.key)
    return asked


def statistics() -> list[dict]:
    """Per consent-based purpose: how many people consent now, and how many withdrew."""
    rows = []
    for entry in purposes.PURPOSES:
        if not entry.consent_required:
            continue
        newest = (
            ConsentRecord.objects.filter(purpose=entry.key)
            .values("user", "visitor_id")
            .annotate(last=Max("pk"))
            .values_list("last", flat=True)
        )
        lines = ConsentRecord.objects.filter(pk__in=list(newest))
        given = lines.filter(given=True).count()
        rows.append(
            {
                "purpose": entry.key,
                "name": str(entry.name),
                "given": given,
                "withdrawn": lines.count() - given,
            }
        )
    return rows


# --- Cookies ----------------------------------------------------------------------------------
def configured_scripts() -> dict[str, str]:
    """Category → script URL the operator configured (empty: nothing to ask about)."""
    return {c: url for c, url in settings.CONSENT_SCRIPTS.items() if url}


def read_cookie(request) -> dict | None:
    """The visitor's recorded cookie choice, or None when there is none that still counts."""
    try:
        value = signing.loads(
            request.COOKIES.get(COOKIE_NAME, ""), salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE
        )
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("c"), dict):
        return None
    version = value.get("v", 0)
    for category in COOKIE_CATEGORIES:
        if value["c"].get(category) and version < _reconsent_after(cookie_purpose(category)):
            return None  # the notice changed what this category does: ask again
    return value


def cookie_choices(request) -> dict[str, bool]:
    value = read_cookie(request)
    chosen = value["c"] if value else {}
    return {category: bool(chosen.get(category)) for category in COOKIE_CATEGORIES}


def save_cookie_choice(request, response, choices: dict[str, bool], *, method: str, text: str):
    """Record the choice in the ledger and in the visitor's consent cookie."""
    previous = read_cookie(request)
    visitor_id = (previous or {}).get("id") or secrets.token_hex(16)
    user = request.user if request.user.is_authenticated else None
    ip, user_agent = client_of(request)
    for category in COOKIE_CATEGORIES:
        record(
            purpose=cookie_purpose(category),
            given=bool(choices.get(category)),
            method=method,
            text_shown=text,
            user=user,
            visitor_id=visitor_id,
            ip=ip,
            user_agent=user_agent,
        )
    policy = current_policy()
    value = {
        "id": visitor_id,
        "c": {c: bool(choices.get(c)) for c in COOKIE_CATEGORIES},
        "v": policy.number if policy else 0,
        "t": int(timezone.now().timestamp()),
    }
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps(value, salt=COOKIE_SALT),
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
