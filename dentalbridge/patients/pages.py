"""Sections the patients app adds to pages of the apps below it (core.pages)."""

from dentalbridge.core.pages import page_section
from dentalbridge.patients import access


@page_section("core.dashboard")
def portal_home(request) -> dict:
    """A person without an organization who has a record of their own starts in the portal."""
    return {"home": "portal_home"} if access.is_patient_user(request.user) else {}
