"""Kits by position in a real browser (zh_CN): a restaurant server's new-hire kit lists only the
server's kit — garments and stock items in her sizes — and completes; a bellboy is offered spares
only of his kit's types."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kiosk.kits.models import KitLine
from kiosk.stock.models import StockItem
from tests.conftest import Factory

from .helpers import PORTRAIT, new_page, sign_in, unique

SHOTS = "/work/shots"


@pytest.fixture(scope="module")
def hotel(server):
    tag = unique("")
    with server.session() as session:
        make = Factory()
        types = {code: make.garment_type(f"{code}{tag}", name_zh=zh, name_en=en, entitlement=3)
                 for code, zh, en in (("VEST", "餐厅马甲", "Restaurant vest"), ("SHIRT", "衬衫", "Shirt"),
                                      ("FOSUIT", "前台西装", "Front office suit"), ("CHEF", "厨师服", "Chef jacket"))}
        dining, front = make.department(f"餐饮部{tag}"), make.department(f"前厅部{tag}")
        server_pos, bell_pos = f"餐厅服务员{tag}", f"行李员{tag}"
        for position, rows in ((server_pos, {"VEST": 2, "SHIRT": 1}), (bell_pos, {"FOSUIT": 2, "SHIRT": 2})):
            for code, quantity in rows.items():
                session.add(KitLine(position=position, type_id=types[code].id, quantity=quantity))
        for code, quantity in (("SHOE", 1), ("SOCK", 2), ("HAIR", 1)):
            session.add(KitLine(position=server_pos, stock_code=f"{code}{tag}", quantity=quantity))
        for size in ("37", "38", "39"):
            session.add(StockItem(code=f"SHOE{tag}", name_zh="工作鞋", name_en="Work shoes", kind="shoes",
                                  size=size, quantity_on_hand=5))
        for size in ("35-39", "40-44"):
            session.add(StockItem(code=f"SOCK{tag}", name_zh="袜子", name_en="Socks", kind="socks", size=size,
                                  quantity_on_hand=50))
        session.add(StockItem(code=f"HAIR{tag}", name_zh="头花", name_en="Hair accessory", kind="hair_accessory",
                              size="", quantity_on_hand=20))
        new_hire = make.employee(f"刘新{tag}", dining, position=server_pos, kind="new_hire", size="M",
                                 shoe_size="38", sock_size="35-39", staff_no=f"N{tag}", uniform_no=f"7{tag}")
        own = [make.garment(f"V{tag}{n}", garment_type=types["VEST"], owner=new_hire, size="M") for n in (1, 2)]
        own.append(make.garment(f"S{tag}1", garment_type=types["SHIRT"], owner=new_hire, size="M"))
        bellboy = make.employee(f"行{tag}", front, position=bell_pos, size="L", staff_no=f"B{tag}",
                                uniform_no=f"8{tag}")
        for n in (1, 2):
            make.garment(f"F{tag}{n}", garment_type=types["FOSUIT"], owner=bellboy, size="L", status="dirty")
        make.garment(f"FS{tag}", garment_type=types["FOSUIT"], size="L")   # a spare of his kit
        make.garment(f"CS{tag}", garment_type=types["CHEF"], size="L")     # a spare of a type he has none of
        codes = {code: t.code for code, t in types.items()}
        tags = [g.tag for g in own]
    clerk = unique("收发员")
    server.add_user(clerk, "clerk", "1470")
    return {"tag": tag, "codes": codes, "own": tags, "clerk": clerk}


def _identify(page: Page, who: str) -> None:
    page.get_by_test_id("who-field").fill(who)
    page.get_by_test_id("who-field").press("Enter")
    expect(page.get_by_test_id("employee-name")).to_be_visible()


def _shoot(page: Page, browser, server, clerk: str, name: str) -> None:
    """The screen as it is, at 1280×800, and the same address on an 800×1280 tablet."""
    page.screenshot(path=f"{SHOTS}/{name}-1280x800.png", full_page=True)
    portrait = new_page(browser, server.url, PORTRAIT)
    sign_in(portrait, clerk, "1470")
    portrait.goto(page.url)
    expect(portrait.get_by_test_id("employee-name")).to_be_visible()
    portrait.screenshot(path=f"{SHOTS}/{name}-800x1280.png", full_page=True)
    portrait.context.close()


def _types_listed(page: Page) -> set[str]:
    return set(page.locator("#employee-panel tr[data-type]").evaluate_all("rows => rows.map(r => r.dataset.type)"))


def test_a_servers_new_hire_kit_lists_only_her_kit_and_completes(page: Page, hotel, browser, server):
    codes, tag = hotel["codes"], hotel["tag"]
    sign_in(page, hotel["clerk"], "1470")
    page.goto("/issue/kit")
    _identify(page, f"N{tag}")
    assert _types_listed(page) == {codes["VEST"], codes["SHIRT"]}  # no chef jacket, no front-office suit
    stock = page.get_by_test_id("kit-stock")
    expect(stock.locator(f"tr[data-stock='SHOE{tag}']")).to_contain_text("38")
    expect(stock.locator(f"tr[data-stock='SOCK{tag}']")).to_contain_text("35-39")  # her sock size
    expect(stock.locator(f"tr[data-stock='HAIR{tag}']")).to_contain_text("均码")
    # 2 vests, 1 shirt, 1 pair of shoes, 2 pairs of socks, 1 头花
    expect(page.get_by_test_id("kit-missing")).to_contain_text("7")
    _shoot(page, browser, server, hotel["clerk"], "kit-new-hire")

    scan = page.get_by_test_id("scan")
    for garment_tag in hotel["own"]:
        scan.fill(garment_tag)
        scan.press("Enter")
        expect(page.locator("#scan-result")).to_have_attribute("data-garment-status", "issued")
    for code in (f"SHOE{tag}", f"SOCK{tag}", f"HAIR{tag}"):
        page.locator(f"tr[data-stock='{code}'] [data-testid=give-stock]").click()
        expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")
        expect(page.locator(f"tr[data-stock='{code}']")).to_have_class("line-complete")
    expect(page.get_by_test_id("kit-complete")).to_be_visible()
    expect(page.locator("#employee-panel")).to_have_attribute("data-kit-complete", "true")
    _shoot(page, browser, server, hotel["clerk"], "kit-new-hire-complete")
    with server.session() as session:  # each came out of her size's shelf
        on_hand = dict(session.execute(select(StockItem.size, StockItem.quantity_on_hand).where(
            StockItem.code.in_((f"SHOE{tag}", f"SOCK{tag}")))).all())
    assert on_hand == {"37": 5, "38": 4, "39": 5, "35-39": 48, "40-44": 50}


def test_a_bellboy_is_offered_spares_only_of_his_kits_types(page: Page, hotel, browser, server):
    codes, tag = hotel["codes"], hotel["tag"]
    sign_in(page, hotel["clerk"], "1470")
    page.goto("/issue/")
    _identify(page, f"B{tag}")
    assert _types_listed(page) == {codes["FOSUIT"], codes["SHIRT"]}
    offers = page.locator("#employee-panel tr[data-type]:has([data-testid=spare-offer])")
    assert set(offers.evaluate_all("rows => rows.map(r => r.dataset.type)")) == {codes["FOSUIT"], codes["SHIRT"]}
    _shoot(page, browser, server, hotel["clerk"], "kit-bellboy-counter")

    scan = page.get_by_test_id("scan")
    scan.fill(f"CS{tag}")           # the chef jacket is not his to have
    scan.press("Enter")
    result = page.locator("#scan-result")
    expect(result).to_have_attribute("data-scan-result", "error")
    expect(result).to_contain_text("不在")
    expect(result).to_contain_text("配发标准")
    page.screenshot(path=f"{SHOTS}/kit-bellboy-refused-1280x800.png")
    scan.fill(f"FS{tag}")           # the spare of his own suit goes out
    scan.press("Enter")
    expect(result).to_have_attribute("data-garment-status", "spare_issued")
