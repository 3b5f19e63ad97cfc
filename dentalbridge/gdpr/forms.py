from django import forms
from django.utils.translation import gettext_lazy as _

from dentalbridge.gdpr import purposes
from dentalbridge.gdpr.models import Breach, HoldKind, OperatorDetails, RequestKind, SubProcessor
from dentalbridge.gdpr.services import OPERATOR_FIELDS


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


class _RequestFields(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you ask for?"), choices=RequestKind.choices, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "For a correction: what is wrong and what is right. For an objection: which "
            "processing and why. Otherwise optional."
        ),
    )

    def clean(self):
        data = super().clean()
        needs_words = {RequestKind.RECTIFICATION, RequestKind.OBJECTION}
        if data.get("kind") in needs_words and not (data.get("details") or "").strip():
            self.add_error("details", _("Please say what to correct, or what you object to."))
        return data


class PublicRequestForm(_RequestFields):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send a link to confirm it is you; the request counts from then on."),
    )
    field_order = ("name", "email", "kind", "details")


class SelfRequestForm(_RequestFields):
    about = forms.ChoiceField(label=_("About"))
    field_order = ("about", "kind", "details")

    def __init__(self, *args, patients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["about"].choices = [("account", _("My account on this platform"))] + [
            (
                str(p.public_id),
                _("My dental record at %(practice)s") % {"practice": p.organization},
            )
            for p in patients
        ]


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("Why more time is needed"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The requester receives this text."),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer letter"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8})
    )
    refused = forms.BooleanField(
        label=_("Refuse the request (the letter must say why, and that a complaint is possible)"),
        required=False,
    )
    send_copy_to = forms.EmailField(
        label=_("Also send the copy to another controller (e-mail)"),
        required=False,
        help_text=_("Portability: the person asked for their data to go to another provider."),
    )

    def __init__(self, *args, portability: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not portability:
            del self.fields["send_copy_to"]


class ForwardForm(forms.Form):
    order_reference = forms.CharField(label=_("Order reference"), max_length=20)
    kind = forms.ChoiceField(label=_("What the person asks for"), choices=RequestKind.choices)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    requester_email = forms.EmailField(
        label=_("The person's e-mail address, if they gave one"), required=False
    )


class LegalHoldForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of hold"), choices=HoldKind.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("For example the case number. Kept in the audit log."),
    )


class LiftHoldForm(forms.Form):
    reason = forms.CharField(label=_("Why the hold ends"), max_length=500)


class BreachForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("Categories of data concerned"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Breach
        fields = (
            "title",
            "description",
            "detected_at",
            "occurred_at",
            "categories",
            "subjects_count",
            "consequences",
            "measures",
            "high_risk",
        )
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "consequences": forms.Textarea(attrs={"rows": 3}),
            "measures": forms.Textarea(attrs={"rows": 3}),
            "detected_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(c.key, c.name) for c in purposes.CATEGORIES]


class AuthorityNotifiedForm(forms.Form):
    reference = forms.CharField(label=_("The authority's reference"), max_length=100)
    late_reason = forms.CharField(
        label=_("Reasons for the delay (after 72 hours)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
