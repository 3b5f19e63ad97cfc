"""What the orders app stores about people, for the processing register (PRV-1, PRV-7).

Each field that holds personal data is declared under its data category (the category's
purpose, legal basis and retention are the GDPR app's, in ``gdpr.purposes``); each field that
does not is listed in ``NOT_PERSONAL`` with the reason. The GDPR app collects this module when
it is ready, so an app adds itself to the register here, without editing the GDPR app; a new
model field in neither fails ``gdpr/tests/test_register.py``.
"""

PERSONAL_DATA: dict[str, dict[str, tuple[str, ...]]] = {
    "health_record": {
        "orders.Order": (
            "due_date",
            "confirmed_due_date",
            "preparation_notes",
            "technical_notes",
            "status_note",
            "remake_reason",
            "submitted_at",
        ),
        "orders.OrderItem": (
            "restoration_type",
            "teeth",
            "pontics",
            "arch",
            "material",
            "shade",
            "notes",
        ),
        "orders.OrderMessage": ("body",),
    },
    "pseudonym": {
        "orders.Order": ("pseudonym",),
    },
    "orders": {
        "orders.Order": (
            "reference",
            "state",
            "resume_state",
            "state_changed_at",
            "requires_approval",
            "remake_cost_bearer",
            "late_alert_sent_for",
        ),
        "orders.OrderAssignment": ("kind", "ends_at", "ended_at"),
        "orders.OrderAttachment": ("kind",),
        "orders.OrderMessage": ("kind", "transition", "side"),
        "orders.OrderMessageRead": ("read_at",),
    },
}

NOT_PERSONAL: dict[str, tuple[tuple[str, ...] | str, str]] = {
    "orders.ImplantManufacturer": ("*", "a product catalogue"),
    "orders.ImplantSystem": ("*", "a product catalogue"),
    "orders.ImplantPlatform": ("*", "a product catalogue"),
    "orders.LabSettings": ("*", "a laboratory's calendar and policies"),
    "orders.LabClosure": ("*", "a laboratory's closing days"),
    "orders.LabProduct": ("*", "a laboratory's catalogue"),
    "orders.OrderItem": (("position",), "order of the lines"),
}
