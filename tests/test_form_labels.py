"""Optional fields are marked by the field template (`organizations/_field.html` adds
"(optional)"), so a label that says it too is read twice — "Until (optional) (optional)"."""

import importlib
import pkgutil

from django import forms

import dentalbridge


def _form_classes():
    for module in pkgutil.walk_packages(dentalbridge.__path__, "dentalbridge."):
        if module.name.endswith(".forms"):
            found = importlib.import_module(module.name)
            for value in vars(found).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, forms.BaseForm)
                    and value.__module__ == module.name
                ):
                    yield value


def test_no_form_label_says_optional_itself():
    classes = list(_form_classes())
    assert len(classes) > 20  # the walk finds the forms
    doubled = [
        f"{form.__module__}.{form.__name__}.{name}: {field.label}"
        for form in classes
        for name, field in form.base_fields.items()
        if field.label and "(optional)" in str(field.label)
    ]
    assert doubled == []
