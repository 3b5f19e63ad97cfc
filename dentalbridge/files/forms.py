"""Forms of the files pages (the services validate again: forms only shape input)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _end_of(day: datetime.date | None):
    if day is None:
        return None
    end = datetime.datetime.combine(day, datetime.time(23, 59, 59))
    return timezone.make_aware(end)


class ShareForm(forms.Form):
    lab = forms.ChoiceField(label=_("Lab"))
    note = forms.CharField(
        label=_("Note for the lab"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The lab sees this, the pseudonym and the anonymized files — no name."),
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, labs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lab"].choices = [(str(lab.public_id), lab.name) for lab in labs or []]

    def expires_at(self):
        return _end_of(self.cleaned_data.get("until"))


class AssignForm(forms.Form):
    designer = forms.CharField(label=_("Designer"))
    until = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, designers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if designers is not None:
            self.fields["designer"] = forms.ChoiceField(
                label=_("Designer"),
                choices=[(str(u.public_id), u.display_name) for u in designers],
            )

    def ends_at(self):
        return _end_of(self.cleaned_data.get("until"))
