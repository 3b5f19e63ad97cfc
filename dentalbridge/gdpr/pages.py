"""Sections the GDPR workflows add to pages of the apps below them (core.pages)."""

from dentalbridge.core.pages import page_section
from dentalbridge.gdpr import access
from dentalbridge.gdpr.forms import LegalHoldForm


@page_section("patients.detail")
def legal_holds_of_the_patient(request, *, patient) -> dict:
    """The owner keeps legal holds (PRV-5): while one is active nothing is erased."""
    principal = request.principal
    keeps_holds = access.keeps_legal_holds(principal, patient)
    return {
        "holds": access.legal_holds_of(principal, patient) if keeps_holds else None,
        "hold_form": LegalHoldForm(),
    }
