from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from dentalbridge.organizations.models import Role
from dentalbridge.patients.models import Patient, RecordItemKind
from dentalbridge.patients.services import EDITABLE_FIELDS


class PatientForm(forms.ModelForm):
    """Input only; the service validates (and its field errors are put back on the form)."""

    class Meta:
        model = Patient
        fields = EDITABLE_FIELDS
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "given_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "family_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "external_reference": _("Your own file number. Never shown to labs."),
            "guardian_name": _("Required for patients under 16."),
        }

    def __init__(self, *args, practice, **kwargs):
        super().__init__(*args, **kwargs)
        dentists = get_user_model().objects.filter(
            memberships__organization=practice,
            memberships__role__in=[Role.OWNER, Role.DENTIST],
        )
        self.fields["attending_dentist"].queryset = dentists.order_by("full_name", "email")
        self.fields["attending_dentist"].label_from_instance = lambda user: user.display_name
        # The service says what is missing, field by field; let it (e.g. guardian for minors).
        for field in self.fields.values():
            field.required = False

    def _post_clean(self):
        """Skip ModelForm's model validation: it would query patients outside the access layer;
        the service validates instead."""


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the audit log)"), max_length=300, required=False
    )


class CareGrantForm(forms.Form):
    grantee_email = forms.EmailField(label=_("Physician's e-mail address"), max_length=254)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    expires_on = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    may_grant_others = forms.BooleanField(label=_("May add other physicians"), required=False)

    def expires_at(self):
        """End of the chosen day, in the server's time zone."""
        from datetime import datetime, time

        from django.utils import timezone

        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.max))


class RecordItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RecordItemKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    taken_on = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    text = forms.CharField(
        label=_("Text"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )


class RecordItemEditForm(RecordItemForm):
    # The kind of an item does not change: None removes the inherited field (Django's idiom).
    kind = None  # type: ignore[assignment]


class PortalInviteForm(forms.Form):
    email = forms.EmailField(label=_("Patient's e-mail address"), max_length=254, required=False)


class ArchivePurposeForm(forms.Form):
    purpose = forms.CharField(
        label=_("Legal purpose for opening this archived record"),
        max_length=300,
        help_text=_("e.g. a court order, a claim, an inspection. Recorded in the audit log."),
    )
