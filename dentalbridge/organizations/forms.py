from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.emails import normalized_email, validate_email_address
from dentalbridge.core.text import Text
from dentalbridge.organizations.models import ROLES_BY_KIND, Organization, OrganizationKind, Role
from dentalbridge.organizations.services import EDITABLE_FIELDS


class OrganizationForm(forms.ModelForm):
    """Input only: validation of legal identifiers happens in the service, whose field errors
    are put back on this form."""

    class Meta:
        model = Organization
        fields: tuple[str, ...] = EDITABLE_FIELDS
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "street": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "contact_person": forms.TextInput(attrs={"autocomplete": "name"}),
        }
        help_texts = {
            "vat_number": _("With or without the country prefix, e.g. NL123456789B01."),
            "fiscal_code": _("Italy: codice fiscale; Romania: CUI/CIF or CNP."),
            "sdi_code": _("Italy only: the 7-character recipient code for e-invoices."),
            "data_region": _("Where this organization's files and records are stored."),
        }


class OrganizationCreateForm(OrganizationForm):
    kind = forms.ChoiceField(
        label=_("What are you setting up?"),
        choices=[
            (OrganizationKind.PRACTICE, OrganizationKind.PRACTICE.label),
            (OrganizationKind.LAB, OrganizationKind.LAB.label),
        ],
        widget=forms.RadioSelect,
    )

    class Meta(OrganizationForm.Meta):
        fields = ("kind", *EDITABLE_FIELDS)


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, validators=[validate_email_address]
    )
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = role_choices(organization)

    def clean_email(self) -> str:
        # The service normalises and refuses too (the API calls it); here for the inline message.
        return normalized_email(self.cleaned_data["email"])


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = role_choices(organization)


class ConnectionRequestForm(forms.Form):
    lab = forms.UUIDField(widget=forms.HiddenInput)
    message = forms.CharField(label=_("Message to the lab"), max_length=500, required=False)


def role_choices(organization: Organization) -> list[tuple[str, Text]]:
    return [(role, Role(role).label) for role in ROLES_BY_KIND[organization.kind]]


def apply_errors(form: forms.Form, error) -> None:
    """Put a service's ``ValidationFailed.fields`` onto the form (unknown fields: non-field)."""
    for name, messages in (error.fields or {}).items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)
