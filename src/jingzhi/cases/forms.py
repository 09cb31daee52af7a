"""Forms of the cases pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jingzhi.cases.models import Category
from jingzhi.core.models import Place


class ReportForm(forms.Form):
    """A resident's report from a phone: what, where (around their home), a photo."""

    category = forms.ModelChoiceField(label=_("What is the problem?"), queryset=Category.objects.none())
    place = forms.ChoiceField(label=_("Where?"))
    description = forms.CharField(label=_("Describe it"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    photo = forms.FileField(label=_("Photo (optional)"), required=False)

    def __init__(self, *args: Any, home: Place, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True, residents_may_report=True)  # type: ignore[attr-defined]
        chain = [p for p in (home.estate, home.building, home.unit) if p is not None] + [home]
        labels = {
            "estate": _("In the estate (%(name)s)"),
            "building": _("At my building (%(name)s)"),
            "unit": _("In my stairwell (%(name)s)"),
            "room": _("At my home (%(name)s)"),
        }
        self.fields["place"].choices = [(str(p.pk), labels[p.kind] % {"name": p.name}) for p in chain]  # type: ignore[attr-defined]
        self.places = {str(p.pk): p for p in chain}


class RateForm(forms.Form):
    confirmed = forms.TypedChoiceField(
        label=_("Is the problem solved?"),
        choices=[("1", _("Yes, solved")), ("0", _("No, not solved"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=[(str(n), "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=300)
