"""Forms of the order pages. The prescription's items are parsed from the POST by
``items_from_post`` (a row of fields per restoration, named ``items-<n>-<field>``); every value is
checked by the services, so the forms only shape input."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dentalbridge.orders.models import RemakeReason

ITEM_FIELDS = ("restoration_type", "arch", "material", "shade", "implant_platform", "notes")
_ITEM_KEY = re.compile(r"^items-(\d{1,2})-restoration_type$")


def items_from_post(data) -> list[dict]:
    """The restorations of a posted prescription, in their order on the page."""
    numbers = sorted({int(m.group(1)) for key in data if (m := _ITEM_KEY.match(key))})
    items = []
    for n in numbers:
        prefix = f"items-{n}-"
        if data.get(prefix + "DELETE"):
            continue
        item = {field: data.get(prefix + field, "") for field in ITEM_FIELDS}
        item["teeth"] = data.getlist(prefix + "teeth")
        item["pontics"] = data.getlist(prefix + "pontics")
        items.append(item)
    return items


class DraftForm(forms.Form):
    lab = forms.ChoiceField(label=_("Lab"), required=False)
    due_date = forms.CharField(
        label=_("Wanted back by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    requires_approval = forms.BooleanField(
        label=_("I want to approve the design before manufacturing"), required=False
    )
    preparation_notes = forms.CharField(
        label=_("Preparation and margin notes"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    technical_notes = forms.CharField(
        label=_("Technical specifications"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Occlusion, contacts, emergence profile, anything the lab should know."),
    )

    def __init__(self, *args, labs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lab"].choices = [("", "—")] + [(str(lab.public_id), lab.name) for lab in labs]


class StepForm(forms.Form):
    transition = forms.CharField(max_length=32)
    reason = forms.CharField(required=False, max_length=4000, widget=forms.Textarea)
    return_date = forms.CharField(required=False, max_length=10)


class AssignForm(forms.Form):
    member = forms.ChoiceField(label=_("Technician or designer"))
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A designer's access also ends when the design is approved."),
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [
            (str(m.public_id), f"{m.user.display_name} — {m.get_role_display()}") for m in members
        ]


class ReturnDateForm(forms.Form):
    return_date = forms.DateField(
        label=_("Return date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RemakeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=RemakeReason.choices)
    note = forms.CharField(
        label=_("What is wrong"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class LabSettingsForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    holiday_region = forms.CharField(
        label=_("Region for public holidays"),
        max_length=10,
        required=False,
        help_text=_("A subdivision code such as BY (Bavaria) or 25 (Lombardy); empty: national."),
    )
    default_lead_days = forms.IntegerField(
        label=_("Default lead time (working days)"), min_value=0, max_value=120
    )
    daily_capacity = forms.IntegerField(
        label=_("Orders due per day"),
        min_value=1,
        required=False,
        help_text=_("Return dates move on past days that are full. Empty: no limit."),
    )
    late_alert_days = forms.IntegerField(
        label=_("Alert both sides this many working days before an order is due"),
        min_value=0,
        max_value=30,
    )
    remake_warranty_days = forms.IntegerField(
        label=_("Remake warranty (days after delivery)"), min_value=0, max_value=3650
    )


class ClosureForm(forms.Form):
    first_day = forms.DateField(
        label=pgettext_lazy("first day", "From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=120, required=False)


class ProductForm(forms.Form):
    restoration_type = forms.ChoiceField(label=_("Restoration"))
    material = forms.ChoiceField(label=_("Material"))
    lead_days = forms.IntegerField(
        label=_("Lead time (working days)"), min_value=0, max_value=120, initial=5
    )

    def __init__(self, *args, **kwargs):
        from dentalbridge.orders.prescription import Material, RestorationType

        super().__init__(*args, **kwargs)
        self.fields["restoration_type"].choices = RestorationType.choices
        self.fields["material"].choices = Material.choices


class ImplantForm(forms.Form):
    manufacturer = forms.CharField(label=_("Manufacturer"), max_length=80)
    system = forms.CharField(label=_("System"), max_length=80)
    platform = forms.CharField(label=_("Platform"), max_length=80)
    diameter = forms.DecimalField(
        label=_("Diameter (mm)"), required=False, max_digits=4, decimal_places=2
    )
