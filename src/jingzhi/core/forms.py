"""Forms of the core staff pages (validation only; writes go through services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PlaceForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    floors = forms.IntegerField(label=_("Floors"), required=False, min_value=1, max_value=200)
    unit_count = forms.IntegerField(label=_("Units"), required=False, min_value=1, max_value=50)
    floor = forms.IntegerField(label=_("Floor"), required=False, min_value=-10, max_value=200)
    room_number = forms.CharField(label=_("Room number"), max_length=16, required=False)

    def __init__(self, *args: object, kind: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if kind != "building":
            del self.fields["floors"]
            del self.fields["unit_count"]
        if kind != "room":
            del self.fields["floor"]
            del self.fields["room_number"]


class RoomsForm(forms.Form):
    floors = forms.IntegerField(label=_("Floors"), min_value=1, max_value=200)
    units = forms.IntegerField(label=_("Units"), min_value=1, max_value=50)
    rooms_per_floor = forms.IntegerField(label=_("Rooms per floor"), min_value=1, max_value=50)
