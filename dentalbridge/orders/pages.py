"""Sections the orders app adds to pages of the apps below it (core.pages)."""

from dentalbridge.core.pages import page_section
from dentalbridge.orders import access


@page_section("patients.detail")
def orders_of_the_patient(request, *, patient) -> dict:
    return {"orders": access.orders_of_patient(request.principal, patient)}
