"""The one search box: every query kind, scoped, without decrypting the table."""

from __future__ import annotations

import datetime as dt

import pytest

from jingzhi.core import idnumber
from jingzhi.core.scope import Actor
from jingzhi.registry import search
from jingzhi.registry.models import Household, Resident, Tag
from jingzhi.registry.selectors import residents_search
from tests import factories as f
from tests.conftest import World


@pytest.fixture
def people(world: World) -> dict[str, Resident]:
    hh = world.a.household
    return {
        "zhang": f.resident(hh, "张三", born=dt.date(1990, 1, 2), relationship="child", phone="13912345678"),
        "zeng": f.resident(hh, "曾小明", born=dt.date(1940, 6, 1), relationship="parent", phone="13800009999"),
        "b_zhang": f.resident(world.b.household, "张三丰", born=dt.date(1991, 1, 2), relationship="child"),
    }


def _names(world: World, text: str, persona: str = "community_staff_a") -> set[str]:
    return {r.name for r in residents_search(actor=Actor.for_user(world.users[persona]), text=text)}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("张三", "name"),
        ("zs", "pinyin"),
        ("ZhangSan", "pinyin"),
        ("13912345678", "phone"),
        ("+86 139 1234 5678", "phone"),
        ("5678", "digits"),
        ("12345678", "digits"),
        ("3幢2单元501", "address"),
        ("甲花苑3-2-501", "address"),
        ("党员", "tag"),
        ("独居老人", "derived"),
        ("１２３４", "digits"),
        ("", "empty"),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert search.classify(text).kind == kind


def test_name_pinyin_initials_and_full_pinyin(world: World, people: dict[str, Resident]) -> None:
    assert _names(world, "张三") == {"张三"}
    assert _names(world, "zs") == {"张三"}
    assert _names(world, "zhangs") == {"张三"}
    assert _names(world, "zxm") == {"曾小明"}  # 曾 read as zeng, a surname
    assert _names(world, "zengxiao") == {"曾小明"}


def test_full_identity_number_and_phone_match_by_digest(world: World, people: dict[str, Resident]) -> None:
    assert _names(world, people["zhang"].id_number) == {"张三"}
    assert _names(world, people["zhang"].id_number.lower()) == {"张三"}
    assert _names(world, "139 1234 5678") == {"张三"}


def test_last_digits_of_id_or_phone(world: World, people: dict[str, Resident]) -> None:
    assert "张三" in _names(world, "5678")
    assert _names(world, "912345678") == {"张三"}  # the default phone 13812345678 shares 12345678
    tail = people["zeng"].id_number[-6:]
    assert "曾小明" in _names(world, tail)


def test_address_and_tags(world: World, people: dict[str, Resident]) -> None:
    everyone_in_a = {"张甲一", "张三", "曾小明"}
    assert _names(world, "3幢2单元501") == everyone_in_a
    assert _names(world, "甲花苑3幢2单元501室") == everyone_in_a
    assert _names(world, "乙家园3幢2单元501") == set()
    people["zhang"].tag_links.create(tag=Tag.objects.get(code="party_member"))
    assert _names(world, "党员") == {"张三"}
    assert "曾小明" in _names(world, "80岁以上")


def test_living_alone_elderly_is_derived_from_the_household(world: World) -> None:
    room = f.place("room", world.a.unit, "101", "101", floor=1, room_number="101")
    f.resident(Household.objects.create(room=room), "孤老人", born=dt.date(1935, 1, 1), region="320506")
    assert _names(world, "独居老人") == {"孤老人", "张甲一"}  # 张甲一 (born 1950) lives alone too
    assert "孤老人" not in _names(world, "未成年")


def test_search_never_leaves_the_scope(world: World, people: dict[str, Resident]) -> None:
    assert _names(world, "张三") == {"张三"}
    assert "张三丰" not in _names(world, "zs")
    assert _names(world, people["b_zhang"].id_number) == set()
    assert "张三丰" in _names(world, "张三", persona="subdistrict_admin")


def test_pinyin_as_id_list_or_plain_filter_gives_the_same_rows(
    world: World, people: dict[str, Resident], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rare prefix becomes an id list, a common one keeps the filter: same rows, id order, scope."""
    extra = f.resident(world.a.household, "周深", born=dt.date(1992, 9, 29), relationship="child")

    def pks(text: str, persona: str) -> list[int]:
        return [r.pk for r in residents_search(actor=Actor.for_user(world.users[persona]), text=text)]

    zhang, zeng, b_zhang = people["zhang"].pk, people["zeng"].pk, people["b_zhang"].pk
    expected = {
        ("zs", "community_staff_a"): [zhang, extra.pk],
        ("zs", "subdistrict_admin"): sorted([zhang, extra.pk, b_zhang]),
        ("zhangs", "community_staff_a"): [zhang],
        ("zhangs", "subdistrict_admin"): [zhang, b_zhang],
        ("zengxiao", "community_staff_a"): [zeng],
        ("qqq", "subdistrict_admin"): [],
    }
    for id_list_max in (search.PINYIN_ID_LIST_MAX, 1, 0):
        monkeypatch.setattr(search, "PINYIN_ID_LIST_MAX", id_list_max)
        for (text, persona), want in expected.items():
            assert [pk for pk in pks(text, persona) if pk in {zhang, zeng, b_zhang, extra.pk}] == want
        # Every match, in id order, whichever way it was found.
        assert pks("z", "subdistrict_admin") == sorted(pks("z", "subdistrict_admin"))
        assert {zhang, zeng, b_zhang, extra.pk} <= set(pks("z", "subdistrict_admin"))


def test_search_api_and_page(world: World, people: dict[str, Resident]) -> None:
    client = world.client("community_staff_a")
    payload = client.get("/api/v1/residents", {"q": "zs"}).json()
    assert [r["name"] for r in payload["items"]] == ["张三"]
    assert "张三" in client.get("/register/residents/", {"q": "5678"}).content.decode()
    assert idnumber.is_valid(people["zhang"].id_number)


def test_broad_searches_stop_counting_at_the_cap(
    world: World, people: dict[str, Resident], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jingzhi.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    client = world.client("community_staff_a")
    payload = client.get("/api/v1/residents", {"q": "3幢2单元501"}).json()
    assert (payload["count"], payload["count_capped"], len(payload["items"])) == (2, True, 3)
    page = client.get("/register/residents/", {"q": "3幢2单元501"}).content.decode()
    assert "2" in page and ("More than" in page or "超过" in page)


def test_member_count_follows_the_services(world: World) -> None:
    from jingzhi.registry.choices import ResidentStatus
    from jingzhi.registry.services import resident_register, resident_set_status

    staff = Actor.for_user(world.users["community_staff_a"])
    hh = world.a.household
    hh.refresh_from_db()
    assert hh.member_count == 1
    child = resident_register(
        actor=staff,
        household=hh,
        name="张小",
        id_number=idnumber.make("320505", dt.date(2015, 1, 1), 11),
        relationship="child",
    )
    hh.refresh_from_db()
    assert hh.member_count == 2
    resident_set_status(actor=staff, resident=child, status=ResidentStatus.MOVED_OUT)
    hh.refresh_from_db()
    assert hh.member_count == 1


def test_address_search_is_scoped_and_handles_no_match(world: World, people: dict[str, Resident]) -> None:
    from jingzhi.core.pagination import capped_count

    admin = Actor.for_user(world.users["subdistrict_admin"])
    both = {r.name for r in residents_search(actor=admin, text="3幢2单元501")}
    assert {"张甲一", "张三", "曾小明", "欧阳乙二", "张三丰"} <= both
    assert {r.name for r in residents_search(actor=admin, text="乙家园3幢2单元501")} == {"欧阳乙二", "张三丰"}
    nowhere = residents_search(actor=admin, text="9幢9单元909")
    assert list(nowhere) == [] and capped_count(nowhere) == (0, False)
    assert capped_count(residents_search(actor=admin, text="3幢2单元501")) == (len(both), False)


def test_tag_search_with_a_tag_missing_from_the_vocabulary(world: World, people: dict[str, Resident]) -> None:
    Tag.objects.filter(code="party_member").delete()
    assert _names(world, "党员") == set()


def test_address_search_follows_moves_and_code_changes(world: World, people: dict[str, Resident]) -> None:
    from jingzhi.core.choices import PlaceKind
    from jingzhi.core.models import Place
    from jingzhi.core.services.places import place_update
    from jingzhi.registry.services.residents import resident_move

    admin = Actor.for_user(world.users["subdistrict_admin"])
    system = Actor.system()

    def names(text: str) -> set[str]:
        return {r.name for r in residents_search(actor=admin, text=text)}

    room_601 = f.place(PlaceKind.ROOM, world.a.unit, "601", "601", floor=6, room_number="601")
    assert room_601.code_path == "3/2/601"
    resident_move(
        actor=system, resident=people["zeng"], to_household=Household.objects.create(room=room_601), relationship="head"
    )
    assert names("3幢2单元601") == {"曾小明"}
    assert "曾小明" not in names("3幢2单元501")

    # Renumbering building 3 of estate A renames every path below it, residents' copies included.
    place_update(actor=system, place=world.a.building, code="13")
    assert Place.objects.get(pk=room_601.pk).code_path == "13/2/601"
    assert Place.objects.get(pk=world.a.unit.pk).code_path == "13/2"
    assert names("13幢2单元601") == {"曾小明"}
    assert names("13幢2单元501") == {"张甲一", "张三"}
    assert names("3幢2单元501") == {"欧阳乙二", "张三丰"}
    # A room's own new number too.
    place_update(actor=system, place=room_601, code="602")
    assert names("13幢2单元602") == {"曾小明"} and names("13幢2单元601") == set()
    # Every resident's copy equals its room's path after all that.
    for person in Resident.objects.select_related("household__room"):
        assert person.room_path == person.household.room.code_path
