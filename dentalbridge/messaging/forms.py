from django import forms

from dentalbridge.messaging.models import Newsletter


class NewsletterForm(forms.ModelForm):
    class Meta:
        model = Newsletter
        fields = ("subject", "text")
        widgets = {"text": forms.Textarea(attrs={"rows": 10})}
