"""The orders app's entries in the processing register (gdpr.purposes collects them; see
docs/contributors.md, "Adding a new app", step 10)."""

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
