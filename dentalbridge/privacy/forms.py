from django import forms
from django.utils.translation import gettext_lazy as _

from dentalbridge.privacy import purposes
from dentalbridge.privacy.models import OperatorDetails, SubProcessor
from dentalbridge.privacy.services import OPERATOR_FIELDS


class OperatorDetailsForm(forms.ModelForm):
    class Meta:
        model = OperatorDetails
        fields = OPERATOR_FIELDS
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "dpo_address": forms.Textarea(attrs={"rows": 3}),
        }


class SubProcessorForm(forms.ModelForm):
    class Meta:
        model = SubProcessor
        fields = ("name", "service", "location", "safeguard")


class PolicyPublishForm(forms.Form):
    summary = forms.CharField(
        label=_("What changed"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("In plain words: this text goes to every account by e-mail."),
    )
    reconsent_purposes = forms.MultipleChoiceField(
        label=_("Ask for consent again for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick a purpose whose terms changed: consents given before this version stop "
            "counting until given again."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reconsent_purposes"].choices = [
            (p.key, p.name) for p in purposes.PURPOSES if p.consent_required
        ]
