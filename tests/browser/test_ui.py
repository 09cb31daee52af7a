"""The UI shell in a real browser: Chinese by default, masked data, audited reveal, live search, phone layout."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from jingzhi.core.masking import mask_id_number
from jingzhi.core.models import AuditEntry
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("JINGZHI_SCREENSHOTS", "var/test/screenshots"))


def _login(page: Any, username: str) -> None:
    page.goto(page.base_url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def test_secretary_sees_chinese_ui_masked_ids_and_reveals_with_audit(page: Any, world: World) -> None:
    page.goto(page.base_url + "/login/")
    assert page.locator("h1").inner_text() == "登录"
    _login(page, "community_secretary_a")
    assert "您的管辖范围" in page.content()
    assert "甲社区" in page.content() and "乙社区" not in page.content()

    page.click("nav.mainnav >> text=居民")
    person = world.a.resident
    row = page.locator("table.residents tbody tr").first
    assert mask_id_number(person.id_number) in row.inner_text()
    assert person.id_number not in page.content()

    page.click(f"a[href='/register/residents/{person.pk}/']")
    assert person.id_number not in page.content()
    page.locator("#reveal-id_number + button").click()
    page.wait_for_selector("#reveal-id_number .revealed")
    assert page.locator("#reveal-id_number").inner_text() == person.id_number
    assert AuditEntry.objects.filter(action="pii.reveal", actor_name="community_secretary_a").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "resident-detail.png"), full_page=True)


def test_live_search_filters_without_reloading(page: Any, world: World) -> None:
    from tests import factories as f

    f.resident(world.a.household, "王小明", relationship="child")
    _login(page, "community_staff_a")
    page.goto(page.base_url + "/register/residents/")
    assert page.locator("table.residents tbody tr").count() == 2
    page.evaluate("window.__marker = 1")
    page.fill("input[name=q]", "王小")
    page.wait_for_function("document.querySelectorAll('table.residents tbody tr').length === 1")
    assert "王小明" in page.locator("table.residents").inner_text()
    assert page.evaluate("window.__marker") == 1  # same document: HTMX swapped the rows


def test_language_switch_to_english(page: Any, world: World) -> None:
    _login(page, "grid_worker_a")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Your scope")
    assert page.locator("nav.mainnav").inner_text().split() == [
        "Home",
        "Places",
        "Residents",
        "Corrections",
        "Cases",
        "Live",
        "Devices",
        "Squares",
    ]


def test_phone_layout_folds_the_navigation(page: Any, world: World) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    _login(page, "grid_worker_a")
    nav = page.locator("nav.mainnav")
    assert not nav.is_visible()
    page.click("label.navbutton")
    assert nav.is_visible()
    page.click("nav.mainnav >> text=居民")
    cell = page.locator("table.residents td[data-label]").first
    assert cell.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls sideways on a phone ({width}px)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone-residents.png"), full_page=True)
