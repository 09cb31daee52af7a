"""Model fields for sensitive personal information."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Lookup

from jingzhi.core.crypto import keyring

#: Length of the suffix indexed by ``tail_digest_field`` (search by the last 4+ digits).
TAIL = 4


def _identity(value: str) -> str:
    return value


class EncryptedField(models.TextField):
    """A text column stored as AES-GCM ciphertext, read back as plaintext.

    With ``digest_field="x_digest"`` the field also keeps a keyed hash of the
    normalised value in that sibling column (declare it *after* this field as
    ``DigestField()``), which is what exact-match lookups use:
    ``Resident.objects.filter(id_number_digest=digest_for(Resident, "id_number", v))``.
    The ciphertext is bound to its column (``app.model.field`` as associated
    data), so a value copied into another column does not open.
    """

    description = "Encrypted text (AES-GCM)"

    def __init__(
        self,
        *args: Any,
        digest_field: str | None = None,
        tail_digest_field: str | None = None,
        normalizer: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.digest_field = digest_field
        self.tail_digest_field = tail_digest_field
        self.normalizer = normalizer or _identity
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.digest_field:
            kwargs["digest_field"] = self.digest_field
        if self.tail_digest_field:
            kwargs["tail_digest_field"] = self.tail_digest_field
        return name, path, args, kwargs

    @property
    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return keyring().open(value, context=self.context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return keyring().seal(str(value), context=self.context)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if self.digest_field:
            digest = self.digest_of(value) if value else ""
            setattr(model_instance, self.digest_field, digest)
        if self.tail_digest_field:
            tail = self.tail_digest_of(self.normalizer(value)[-TAIL:]) if value else ""
            setattr(model_instance, self.tail_digest_field, tail)
        return value

    def digest_of(self, value: str) -> str:
        return keyring().digest(self.normalizer(value), purpose=self.context)

    def tail_digest_of(self, tail: str) -> str:
        """Keyed hash of the last ``TAIL`` characters (already normalised): finds "…1234" without decrypting."""
        return keyring().tail_digest(tail.upper(), purpose=self.context + ":tail")

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name not in {"isnull"}:
            raise ImproperlyConfigured(
                f"{self.context} is encrypted; look it up through its digest column, not '{lookup_name}'"
            )
        return super().get_lookup(lookup_name)


class DerivedField(models.CharField):
    """A search column computed from another field when the row is saved (bulk inserts included)."""

    def __init__(self, *args: Any, source: str = "", derive: Callable[[str], str] | None = None, **kwargs: Any) -> None:
        self.source = source
        self.derive = derive
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["derive"] = self.derive
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.derive is not None and self.source:
            raw = getattr(model_instance, self.source) or ""
            setattr(model_instance, self.attname, self.derive(raw)[: self.max_length] if raw else "")
        return getattr(model_instance, self.attname)


class DigestField(models.CharField):
    """Keyed hash of a sibling EncryptedField, filled when the row is saved."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)


def digest_for(model: type[models.Model], field_name: str, value: str) -> str:
    """The digest a stored ``value`` of ``model.field_name`` would have."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, EncryptedField):
        raise TypeError(f"{model.__name__}.{field_name} is not an EncryptedField")
    return field.digest_of(value)
