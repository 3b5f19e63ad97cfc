"""Sections the files app adds to pages of the apps below it (core.pages)."""

from dentalbridge.core.pages import page_section
from dentalbridge.files import access, views
from dentalbridge.files.models import Jaw
from dentalbridge.files.uploads import quota_bytes


@page_section("patients.detail")
@page_section("patients.record_item")
def uploader(request, **objects) -> dict:
    """The uploader's choices of jaw (its other choices are the record's kinds)."""
    return {"jaws": Jaw.choices, "uploader_id": "main"}


@page_section("patients.record_item")
def files_of_the_item(request, *, item, shown, versions) -> dict:
    """The file panel, the practice's shares and the viewers' signed links of a record item
    (``add_viewers`` reads the page's item, shown version and versions)."""
    context = {"item": item, "shown": shown, "versions": versions}
    context.update(views.panel_context(request.principal, item, shown, versions))
    context.update(views.share_context(request.principal, item))
    views.add_viewers(request, context)
    return context


@page_section("organizations.detail")
def storage_of_the_practice(request, *, organization) -> dict:
    """How much of its quota a practice uses (its files and uploads in progress)."""
    if not organization.is_practice:
        return {}
    used, quota = access.storage_used(organization), quota_bytes(organization)
    percent = min(100, round(100 * used / quota)) if quota else 100
    return {"storage": {"used": used, "quota": quota, "percent": percent}}
