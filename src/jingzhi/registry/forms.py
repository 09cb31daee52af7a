"""Forms of the register's pages (input validation only; the services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jingzhi.registry.choices import AwayReason, Relationship, ResidenceType, ResidentStatus, Tenure
from jingzhi.registry.services.corrections import CORRECTABLE

DATE = forms.DateInput(attrs={"type": "date"})


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    id_number = forms.CharField(label=_("Identity number"), max_length=24)
    phone = forms.CharField(label=_("Phone"), max_length=24, required=False)
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=16, initial="汉族")
    residence_type = forms.ChoiceField(label=_("Residence type"), choices=ResidenceType.choices)


class HouseholdForm(PersonForm):
    tenure = forms.ChoiceField(label=_("Tenure"), choices=Tenure.choices)


class MemberForm(PersonForm):
    relationship = forms.ChoiceField(
        label=_("Relationship"), choices=[c for c in Relationship.choices if c[0] != Relationship.HEAD]
    )


class ResidentEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    phone = forms.CharField(label=_("Phone"), max_length=24, required=False)
    id_number = forms.CharField(
        label=_("New identity number"),
        max_length=24,
        required=False,
        help_text=_("Leave empty to keep the current number."),
    )
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=16)
    residence_type = forms.ChoiceField(label=_("Residence type"), choices=ResidenceType.choices)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ResidentStatus.choices)
    away_reason = forms.ChoiceField(label=_("Away because"), choices=[("", "—"), *AwayReason.choices], required=False)
    expected_return = forms.DateField(label=_("Expected back"), required=False, widget=DATE)


class CorrectionForm(forms.Form):
    resident = forms.IntegerField(widget=forms.HiddenInput)
    field = forms.ChoiceField(label=_("What is wrong"), choices=[(f, f) for f in CORRECTABLE])
    proposed = forms.CharField(label=_("Correct value"), max_length=64)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        labels = {
            "name": _("Name"),
            "id_number": _("Identity number"),
            "phone": _("Phone"),
            "ethnicity": _("Ethnicity"),
        }
        self.fields["field"].choices = [(f, labels[f]) for f in CORRECTABLE]  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", _("Approve")), ("0", _("Reject"))], coerce=lambda v: v == "1")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
