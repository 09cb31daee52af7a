"""Writes to the register (and the audited reads of sensitive data)."""

from jingzhi.registry.services.households import household_create, household_set_head
from jingzhi.registry.services.residents import (
    REVEALABLE,
    resident_move,
    resident_register,
    resident_reveal,
    resident_set_status,
    resident_update,
    resident_view_record,
)

__all__ = [
    "REVEALABLE",
    "household_create",
    "household_set_head",
    "resident_move",
    "resident_register",
    "resident_reveal",
    "resident_set_status",
    "resident_update",
    "resident_view_record",
]
