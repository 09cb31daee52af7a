"""A thrown-object event from the simulator to a case: it appears on the live board, the desk
assigns it, a resident's report joins it, the grid worker resolves it on a phone, and the
reporter confirms and rates the result — in a real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from jingzhi.cases.models import Case, CaseReport
from jingzhi.sensing.simulator import Simulator, load_devices
from tests import factories as f
from tests.conftest import World
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def _page(browser: Any, live_server: Any, username: str, viewport: dict[str, int] | None = None) -> Any:
    context = browser.new_context(locale="zh-CN", viewport=viewport or {"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return page


def test_thrown_object_from_simulator_to_rated_case(browser: Any, live_server: Any, world: World) -> None:
    _camera, token = f.device(world.a.building, "cam-a-b3", "camera", location="3幢立面", config={"floors": 18})

    # The community desk watches the case board (it refreshes itself).
    desk = _page(browser, live_server, "community_staff_a")
    desk.goto(live_server.url + "/cases/")
    assert "暂无工单" in desk.content()
    desk.evaluate("window.__still_here = true")

    # The simulator's facade camera reports an object thrown from the 12th floor.
    simulator = Simulator(
        load_devices(codes=["cam-a-b3"]), "http", url=live_server.url + "/", tokens={"cam-a-b3": token}
    )
    reply = simulator.send_once("cam-a-b3", "throw.detected", floor=12, column=2, confidence=0.92)
    assert reply["status"] == "stored", reply
    case = Case.objects.get(pk=reply["case"])
    assert case.category.code == "thrown_object" and case.priority == "urgent"

    desk.wait_for_selector(f"li[data-case='{case.pk}']", timeout=15_000)  # arrives without reloading
    assert desk.evaluate("window.__still_here") is True
    assert "高空抛物" in desk.locator(f"li[data-case='{case.pk}']").inner_text()
    desk.click(f"li[data-case='{case.pk}'] a")
    grid_worker = world.users["grid_worker_a"]
    desk.select_option("#assign-form select[name=assignee]", str(grid_worker.pk))
    desk.click("#assign-form button[type=submit]")
    desk.wait_for_selector("#case-history >> text=grid_worker_a")
    case.refresh_from_db()
    assert case.assignee == grid_worker and case.state == "assigned"

    # A resident on the 5th floor reports it too, from a phone: the report joins the open case.
    resident = _page(browser, live_server, "resident_a", PHONE)
    resident.goto(live_server.url + "/cases/mine/new/")
    resident.select_option("select[name=category]", label="高空抛物")
    resident.select_option("select[name=place]", str(world.a.building.pk))
    resident.fill("textarea[name=description]", "楼上扔下一个花盆，砸在单元门口")
    resident.click("#report-form button[type=submit]")
    resident.wait_for_selector("text=已并入工单")
    assert CaseReport.objects.filter(case=case, user=world.users["resident_a"]).exists()

    # The grid worker takes it and resolves it on a phone.
    worker = _page(browser, live_server, "grid_worker_a", PHONE)
    worker.goto(live_server.url + "/cases/?mine=1")
    worker.click(f"li[data-case='{case.pk}'] a")
    worker.click("#transition-form button[value=in_progress]")
    worker.wait_for_selector("#case-state >> text=处理中")
    worker.fill("#transition-form textarea[name=note]", "已上门调查，12楼住户承认并道歉，已签承诺书")
    worker.click("#transition-form button[value=resolved]")
    worker.wait_for_selector("#case-state >> text=已办结")
    case.refresh_from_db()
    assert case.state == "resolved" and case.responded_at is not None

    # The resident sees what was done, confirms and rates it.
    resident.goto(live_server.url + f"/cases/mine/{case.pk}/")
    assert "12楼住户承认并道歉" in resident.locator("#resolution-note").inner_text()
    resident.check("#rate-form input[name=confirmed][value='1']")
    resident.check("#rate-form input[name=rating][value='5']")
    resident.fill("#rate-form input[name=comment]", "处理及时")
    resident.click("#rate-form button[type=submit]")
    resident.wait_for_selector("#my-rating")
    assert "5★" in resident.locator("#my-rating").inner_text()
    case.refresh_from_db()
    report = CaseReport.objects.get(case=case, user=world.users["resident_a"])
    assert report.rating == 5 and report.rating_comment == "处理及时"
    assert case.state == "closed"
    for page in (desk, resident, worker):
        page.context.close()
