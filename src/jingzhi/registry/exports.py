"""Export of resident lists, masked unless the actor may reveal and asks to."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from jingzhi.core.choices import Capability
from jingzhi.core.export import to_csv, to_xlsx
from jingzhi.core.scope import Actor
from jingzhi.core.services.audit import audit_log
from jingzhi.registry.models import Resident
from jingzhi.registry.presenters import resident_row

COLUMNS = (
    ("name", _l("Name")),
    ("gender", _l("Gender")),
    ("birth_date", _l("Birth date")),
    ("id_number", _l("Identity number")),
    ("phone", _l("Phone")),
    ("address", _l("Address")),
    ("relationship", _l("Relationship")),
    ("residence_type", _l("Residence type")),
    ("status", _l("Status")),
)


def residents_export(*, actor: Actor, residents: QuerySet[Resident], fmt: str, reveal: bool = False) -> bytes:
    """Serialise ``residents`` (already scoped) as CSV or XLSX; revealing is checked row by row and audited."""
    rows = list(
        residents.select_related("household__room__estate", "household__room__building", "household__room__unit")
    )
    if reveal and not all(actor.can(Capability.REVEAL_PII, r.household.room) for r in rows):
        raise PermissionDenied(_("You may not export unmasked personal information for these residents."))
    headers = [str(label) for _key, label in COLUMNS]
    keys = [key for key, _label in COLUMNS]
    data = [[row[key] for key in keys] for row in (resident_row(r, reveal=reveal) for r in rows)]
    audit_log(
        actor=actor,
        action="resident.export_revealed" if reveal else "resident.export",
        changes={"rows": len(rows), "format": fmt, "revealed": reveal},
    )
    if fmt == "xlsx":
        return to_xlsx(headers, data, title="residents")
    return to_csv(headers, data)
