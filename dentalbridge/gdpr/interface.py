"""The GDPR workflows' side of ``privacy.workflows``: the answers domain apps may ask for."""

from dentalbridge.gdpr import consent, purposes
from dentalbridge.gdpr.models import ConsentMethod


class GdprWorkflows:
    def has_consent(self, user, purpose: str) -> bool:
        return consent.has_consent(user, purpose)

    def users_consenting(self, purpose: str) -> list[int]:
        return consent.users_consenting(purpose)

    def consent_withdraw(self, user, purpose, *, how, text_shown, ip, user_agent) -> None:
        consent.record(
            purpose=purpose,
            given=False,
            method=ConsentMethod(how),
            text_shown=text_shown,
            user=user,
            ip=ip,
            user_agent=user_agent,
        )

    def retention_period(self, rule: str, country: str) -> purposes.Period:
        return purposes.retention_period(rule, country)
