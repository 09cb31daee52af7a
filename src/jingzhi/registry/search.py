"""One search box for the register: name (prefix), pinyin, ID/phone digits, address or tag.

The query's shape decides the kind (``classify``). Identity numbers and phones
are matched through keyed hashes — the full value's digest, or the digest of the
last four characters followed by a check of the few candidates — so the table
is never decrypted wholesale.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from jingzhi.core.choices import PlaceKind
from jingzhi.core.fields import TAIL, digest_for
from jingzhi.core.models import Place
from jingzhi.registry.choices import ResidentStatus, TagCode
from jingzhi.registry.lookups import AnyOf
from jingzhi.registry.models import Household, Resident, ResidentTag, Tag, normalise_phone

#: Chinese words staff type for stored tags.
TAG_WORDS: dict[str, str] = {
    "党员": TagCode.PARTY_MEMBER,
    "退役军人": TagCode.VETERAN,
    "军人": TagCode.VETERAN,
    "残疾": TagCode.DISABLED,
    "残疾人": TagCode.DISABLED,
    "低保": TagCode.DIBAO,
    "特困": TagCode.TEKUN,
    "低边": TagCode.DIBIAN,
    "低保边缘": TagCode.DIBIAN,
    "重点关爱": TagCode.KEY_CARE,
    "重点": TagCode.KEY_CARE,
}
#: Words for the derived tags (computed from birth dates and households, not stored).
DERIVED_WORDS: dict[str, str] = {
    "60岁以上": "aged_60",
    "老人": "aged_60",
    "老年人": "aged_60",
    "80岁以上": "aged_80",
    "高龄": "aged_80",
    "独居": "living_alone",
    "独居老人": "living_alone_elderly",
    "未成年": "minor",
    "未成年人": "minor",
}
ADDRESS = re.compile(
    r"^(?P<estate>[^\d]*?)\s*(?P<building>\d+)\s*(?:幢|栋|号楼|号|-)\s*(?P<unit>\d+)\s*(?:单元|-)\s*(?P<room>\d+)\s*室?$"
)
ID_FULL = re.compile(r"^\d{17}[\dX]$|^\d{15}$")
DIGITS = re.compile(r"^\d{4,}[X]?$")


@dataclass(frozen=True)
class Query:
    kind: str  # name | pinyin | id_number | phone | digits | address | tag | derived | empty
    text: str
    parts: dict[str, str]


def classify(raw: str) -> Query:
    text = "".join(unicodedata.normalize("NFKC", raw).split()).upper() if raw else ""
    if not text:
        return Query("empty", "", {})
    if text in TAG_WORDS:
        return Query("tag", text, {"code": TAG_WORDS[text]})
    if text in DERIVED_WORDS:
        return Query("derived", text, {"code": DERIVED_WORDS[text]})
    if ID_FULL.match(text):
        return Query("id_number", text, {})
    plain = text.replace("-", "").replace("+", "")
    if (
        plain.isdigit()
        and len(plain) >= 11
        and normalise_phone(plain).startswith("1")
        and len(normalise_phone(plain)) == 11
    ):
        return Query("phone", normalise_phone(plain), {})
    if DIGITS.match(text):
        return Query("digits", text, {})
    match = ADDRESS.match(unicodedata.normalize("NFKC", raw).strip())
    if match:
        return Query("address", text, {k: v.strip() for k, v in match.groupdict().items() if v and v.strip()})
    if text.isascii() and text.isalpha():
        return Query("pinyin", text.lower(), {})
    return Query("name", unicodedata.normalize("NFKC", raw).strip(), {})


def apply(qs: QuerySet[Resident], query: Query, *, today: dt.date | None = None) -> QuerySet[Resident]:
    """Filter an already scoped resident queryset by the query."""
    today = today or timezone.localdate()
    if query.kind == "empty":
        return qs
    if query.kind == "name":
        # Names are searched from their start (张三 finds 张三 and 张三丰): the way staff type,
        # and an indexed prefix scan at a million rows.
        return qs.filter(name__startswith=query.text)
    if query.kind == "pinyin":
        return _by_pinyin(qs, query.text)
    if query.kind == "id_number":
        return qs.filter(id_number_digest=digest_for(Resident, "id_number", query.text))
    if query.kind == "phone":
        return qs.filter(phone_digest=digest_for(Resident, "phone", query.text))
    if query.kind == "digits":
        return _by_suffix(qs, query.text)
    if query.kind == "address":
        return _at_address(qs, query.parts)
    if query.kind == "tag":
        # A semi-join: residents in scope that hold the tag (no row multiplication). The tag's id
        # is looked up first: with a constant tag_id the planner knows how common the tag is
        # (column statistics) and walks the id-ordered scope, stopping after a page or the cap.
        tag_id = Tag.objects.filter(code=query.parts["code"]).values_list("pk", flat=True).first()
        if tag_id is None:
            return qs.none()
        holders = ResidentTag.objects.filter(resident=OuterRef("pk"), tag_id=tag_id)
        return qs.filter(Exists(holders))
    return _derived(qs, query.parts["code"], today)


def _at_address(qs: QuerySet[Resident], parts: dict[str, str]) -> QuerySet[Resident]:
    """Residents in ``qs`` living at building/unit/room (and estate, when given).

    "3幢2单元501" names a room in every estate with such a building: over a thousand rooms and
    three thousand residents in a sub-district. Each resident carries its room's code path
    ("3/2/501"), so without an estate the search is one walk of the (room_path, id) index in id
    order, stopping after a page; the capped count reads that index alone.

    With an estate name, the few rooms of the matching estates with that path are found first
    and their residents' ids become the filter (a handful of rows).
    """
    path = f"{parts['building']}/{parts['unit']}/{parts['room']}"
    if not parts.get("estate"):
        return qs.filter(room_path=path)
    estates = Place.objects.filter(kind=PlaceKind.ESTATE, name__contains=parts["estate"])
    rooms = Place.objects.filter(kind=PlaceKind.ROOM, estate__in=estates, code_path=path)
    households = Household.objects.filter(room__in=rooms)
    ids = list(qs.filter(household__in=households).order_by().values_list("pk", flat=True))
    return qs.filter(AnyOf(F("pk"), ids))


#: A pinyin prefix matching more residents in scope than this is common: the id-ordered walk
#: of the scope finds a page of them within a few thousand rows. (Each query sending the id
#: list costs about 1 ms per thousand ids.)
PINYIN_ID_LIST_MAX = 2000


def _by_pinyin(qs: QuerySet[Resident], text: str) -> QuerySet[Resident]:
    """Residents in ``qs`` whose name's initials or full pinyin start with ``text``.

    How many residents share a prefix ranges from a handful ("zyk") to tens of thousands
    ("ly"), and the planner's estimate of a rare one is poor: it walked the scope in id order
    looking for a prefix held by a hundred people, or joined and sorted a thousand matches
    for a page of 25. So the ids in scope that match are read first, from the (column, id)
    indexes alone (index-only scans: they carry the scope columns), stopping after
    ``PINYIN_ID_LIST_MAX``. When there are no more than that, the search becomes that id
    list, read in id order and stopping after a page or the count's cap (as an address
    search). A common prefix keeps the plain filter: the columns' finer statistics
    (migration 0010) estimate it closely, and its matches are dense, so the id-ordered walk
    stops early.
    """
    scoped = qs.order_by()
    by_initials = scoped.filter(name_initials__startswith=text).values_list("pk", flat=True)
    by_pinyin = scoped.filter(name_pinyin__startswith=text).values_list("pk", flat=True)
    # UNION ALL (no de-duplication in the database), so the scans stop at the limit.
    found = list(by_initials.union(by_pinyin, all=True)[: PINYIN_ID_LIST_MAX + 1])
    if len(found) > PINYIN_ID_LIST_MAX:
        return qs.filter(Q(name_initials__startswith=text) | Q(name_pinyin__startswith=text))
    return qs.filter(AnyOf(F("pk"), sorted(set(found))))


def _by_suffix(qs: QuerySet[Resident], digits: str) -> QuerySet[Resident]:
    id_field = Resident._meta.get_field("id_number")
    phone_field = Resident._meta.get_field("phone")
    tail = digits[-TAIL:]
    candidates = qs.filter(
        Q(id_number_tail=id_field.tail_digest_of(tail)) | Q(phone_tail=phone_field.tail_digest_of(tail))
    )
    if len(digits) == TAIL:
        return candidates
    # Longer suffixes: open only the candidates sharing the last four characters.
    ids = [
        r.pk
        for r in candidates.only("id", "id_number", "phone")
        if r.id_number.endswith(digits) or r.phone.endswith(digits)
    ]
    return qs.filter(pk__in=ids)


def _derived(qs: QuerySet[Resident], code: str, today: dt.date) -> QuerySet[Resident]:
    def born_before(years: int) -> dt.date:
        try:
            return today.replace(year=today.year - years)
        except ValueError:  # 29 February
            return today.replace(year=today.year - years, day=28)

    living = [ResidentStatus.PRESENT, ResidentStatus.AWAY]
    if code == "aged_60":
        return qs.filter(birth_date__lte=born_before(60), status__in=living)
    if code == "aged_80":
        return qs.filter(birth_date__lte=born_before(80), status__in=living)
    if code == "minor":
        return qs.filter(birth_date__gt=born_before(18), status__in=living)
    # The stored flag (present or away, only living member of the household), not a join to
    # households: see ``LivesAloneField``; partial indexes hold just these residents.
    qs = qs.filter(lives_alone=True)
    if code == "living_alone_elderly":
        qs = qs.filter(birth_date__lte=born_before(60))
    return qs
