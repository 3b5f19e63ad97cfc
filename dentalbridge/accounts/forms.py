from allauth.account import fields as allauth_fields
from allauth.account import forms as allauth_forms
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dentalbridge.accounts.models import User
from dentalbridge.accounts.photos import normalized_photo
from dentalbridge.accounts.services import PROFILE_FIELDS
from dentalbridge.core.emails import validate_email_address


class ProfileForm(forms.ModelForm):
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 5 MB. Location data is removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Browser default")), *settings.LANGUAGES],
        required=False,
    )

    class Meta:
        model = User
        fields = PROFILE_FIELDS
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "vision": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        return normalized_photo(upload)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, help_text=_("e.g. “Scanner room 2”"))
    valid_days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(30, _("30 days")), (90, _("90 days")), (365, _("1 year"))],
        initial=90,
    )


class EmailAddressField(allauth_fields.EmailField):
    """allauth's e-mail field whose refusals say why: invisible or text-direction characters, an
    IP address for a domain (issue 13, finding 7; ``core.emails``)."""

    default_validators = [validate_email_address]


# allauth's forms with that field (settings.ACCOUNT_FORMS); the adapter's ``clean_email`` then
# stores the address in its one form.
class SignupForm(allauth_forms.SignupForm):
    email = EmailAddressField()


class AddEmailForm(allauth_forms.AddEmailForm):
    email = EmailAddressField(required=True)


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    email = EmailAddressField(required=True)
