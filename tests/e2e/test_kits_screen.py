"""Kits by position (岗位配置) in a real browser: a supervisor gives a position its kit on the screen,
garments and stock items, and from then on its people get exactly that; a clerk reads it."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kiosk.kits.services import kit_for
from kiosk.models import Employee, GarmentType
from kiosk.stock.models import StockItem
from tests.conftest import Factory

from .helpers import sign_in, unique


@pytest.fixture(scope="module")
def hotel(server):
    """Servers in two departments, three garment types with their own entitlements, shoes and socks."""
    tag = unique("")
    position = f"服务员{tag}"
    with server.session() as session:
        make = Factory()
        dining, rooms = make.department(f"餐饮部{tag}"), make.department(f"客房部{tag}")
        for code, name, entitled in (("SHIRT", "衬衫", 3), ("CHEF", "厨师服", 2), ("SEC", "保安服", 1)):
            make.garment_type(f"{code}{tag}", name_zh=f"{name}{tag}", entitlement=entitled)
        for size in ("38", "39", "40"):
            session.add(StockItem(code=f"SHOE{tag}", name_zh="工作鞋", kind="shoes", size=size))
        session.add(StockItem(code=f"SOCK{tag}", name_zh="袜子", kind="socks", size=""))
        servers = [make.employee(f"王{tag}", dining, position=position, uniform_no=None, shoe_size="38"),
                   make.employee(f"李{tag}", rooms, position=position, uniform_no=None)]
        staff = [employee.staff_no for employee in servers]
    supervisor, clerk = unique("领班"), unique("收发员")
    server.add_users((supervisor, "supervisor", "4826"), (clerk, "clerk", "1470"))
    return {"tag": tag, "position": position, "staff": staff, "supervisor": supervisor, "clerk": clerk}


def _row(page: Page, position: str):
    return page.locator(f"[data-testid=kit-positions] tr[data-position='{position}']")


def _add(page: Page, item_code: str, quantity: str) -> None:
    form = page.get_by_test_id("kit-add")
    form.locator("select[name=item]").select_option(label=item_code)
    form.locator("input[name=quantity]").fill(quantity)
    form.get_by_test_id("kit-add-submit").click()


def test_a_supervisor_sets_a_positions_kit_on_the_screen(page: Page, server, hotel):
    tag, position = hotel["tag"], hotel["position"]
    sign_in(page, hotel["supervisor"], "4826")
    page.locator("[data-station='kits.index']").click()

    row = _row(page, position)
    expect(row).to_have_attribute("data-has-kit", "no")
    expect(row).to_contain_text("无岗位配置：按各品类配发数量")
    row.locator("a.kit-position-name").click()
    editor = page.locator("#kit-editor")
    expect(editor).to_have_attribute("data-applies", "fallback")
    expect(page.get_by_test_id("kit-effective")).to_contain_text(f"CHEF{tag}")  # all three types, for now

    _add(page, f"SHIRT{tag} · 衬衫{tag}", "2")
    expect(page.get_by_test_id("kit-message")).to_contain_text("已加入配发标准")
    expect(editor).to_have_attribute("data-applies", "general")
    _add(page, f"SHOE{tag} · 工作鞋", "1")
    lines = page.locator("[data-testid=kit-lines] tbody tr")
    expect(lines).to_have_count(2)
    expect(page.locator(f"tr[data-code='SHOE{tag}']")).to_contain_text("按员工鞋码")

    # Change the shirts from 2 to 3 on their row.
    shirts = page.locator(f"tr[data-code='SHIRT{tag}']")
    shirts.get_by_test_id("kit-quantity").fill("3")
    shirts.get_by_test_id("kit-save").click()
    expect(page.get_by_test_id("kit-message")).to_contain_text("2 → 3")
    expect(page.locator(f"tr[data-code='SHIRT{tag}']")).to_have_attribute("data-quantity", "3")
    expect(page.locator(f"tr[data-code='SHIRT{tag}']")).to_contain_text(hotel["supervisor"])

    # A quantity past 20 is refused in Chinese, and nothing changes.
    _add(page, f"SOCK{tag} · 袜子", "25")
    expect(page.get_by_test_id("kit-message")).to_contain_text("每人数量：请输入 1 至 20 之间的整数")  # the field named
    expect(lines).to_have_count(2)

    page.get_by_role("link", name="全部岗位").click()
    expect(_row(page, position)).to_have_attribute("data-has-kit", "yes")
    expect(_row(page, position)).to_contain_text("有岗位配置：2 项")

    # Every server now gets exactly that kit: no chef jacket, no security uniform.
    with server.session() as session:
        shirt = session.scalar(select(GarmentType).where(GarmentType.code == f"SHIRT{tag}"))
        for staff_no in hotel["staff"]:
            kit = kit_for(session, session.scalar(select(Employee).where(Employee.staff_no == staff_no)))
            assert (kit.from_position, kit.garments, kit.stock) == (True, {shirt.id: 3}, {f"SHOE{tag}": 1})


def test_a_clerk_reads_a_kit_but_is_offered_no_change(page: Page, server, hotel):
    tag = hotel["tag"]
    position = f"厨师{tag}"
    with server.session() as session:
        session.add(StockItem(code=f"HAIR{tag}", name_zh="头花", kind="hair_accessory", size=""))
    sign_in(page, hotel["supervisor"], "4826")
    page.goto("/kits/")
    page.get_by_test_id("kit-open").locator("input[name=name]").fill(position)  # a position nobody holds yet
    page.get_by_test_id("kit-open").locator("button").click()
    _add(page, f"HAIR{tag} · 头花", "2")
    expect(page.locator(f"tr[data-code='HAIR{tag}']")).to_be_visible()
    page.get_by_test_id("logout").click()

    sign_in(page, hotel["clerk"], "1470")
    page.locator("[data-station='kits.index']").click()
    _row(page, position).locator("a.kit-position-name").click()
    expect(page.locator(f"tr[data-code='HAIR{tag}']")).to_contain_text("× 2")
    expect(page.get_by_test_id("kit-add")).to_have_count(0)
    expect(page.get_by_test_id("kit-remove")).to_have_count(0)
