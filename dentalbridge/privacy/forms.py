from django import forms

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
