"""The operators screen as an admin and a supervisor use it (issue 10's acceptance).

An admin adds a clerk, gives them a badge by scanning it, resets their PIN
(the clerk signs in with the one-time PIN and must choose their own), then
deactivates them (no more sign-in, by PIN or badge); a supervisor is not
offered the administrator role and the server refuses it when sent anyway.
Screenshots of the list and an operator's page, landscape and portrait, go to
tests/e2e/artifacts/operators-*.png.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .helpers import ARTIFACTS, LANDSCAPE, PORTRAIT, post_form, sign_in, unique, user_tile


def _open_operators(page: Page) -> None:
    page.goto("/")
    page.locator("[data-station='operators.index']").click()
    expect(page.get_by_test_id("operators")).to_be_visible()


def _open(page: Page, name: str) -> None:
    _open_operators(page)
    page.locator(f"tr[data-operator='{name}']").get_by_test_id("operator-open").click()
    expect(page.locator(f"#operator[data-operator='{name}']")).to_be_visible()


def _sign_out(page: Page) -> None:
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("badge")).to_be_visible()


def _screenshots(page: Page, what: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for size in (LANDSCAPE, PORTRAIT):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"operators-{what}-{size['width']}x{size['height']}.png"),
                        full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    page.set_viewport_size(LANDSCAPE)


def test_an_admin_adds_a_clerk_badges_resets_and_deactivates_them(page, server):
    admin = server.add_user(unique("管理员"), "admin", "4826")
    clerk, badge = unique("新收发员"), unique("BADGE-OP")
    sign_in(page, admin, "4826")

    # Add a clerk with a first PIN.
    _open_operators(page)
    page.get_by_test_id("operator-add").click()
    page.get_by_test_id("operator-name").fill(clerk)
    page.get_by_test_id("operator-role").select_option("clerk")
    page.get_by_test_id("operator-pin").fill("1234")  # an easy guess: refused with the reason
    page.get_by_test_id("operator-pin-again").fill("1234")
    page.get_by_test_id("operator-save").click()
    expect(page.locator("[data-field=pin] .error")).to_contain_text("连续数字")
    page.get_by_test_id("operator-pin").fill("3691")
    page.get_by_test_id("operator-pin-again").fill("3691")
    page.get_by_test_id("operator-save").click()
    expect(page.locator(f"#operator[data-operator='{clerk}']")).to_be_visible()
    expect(page.locator("[data-action=added]")).to_be_visible()

    # Scan a badge into the badge field: the code and Enter, as the wedge scanner types it.
    page.get_by_test_id("badge-field").click()
    page.keyboard.type(badge)
    page.keyboard.press("Enter")
    expect(page.locator(".notice-success")).to_contain_text("工牌")
    expect(page.get_by_test_id("operator-badge-state")).to_have_attribute("data-badge", "yes")

    # Reset the PIN: the one-time PIN is on this answer only.
    page.get_by_test_id("pin-reset").click()
    one_time = page.get_by_test_id("one-time-pin").inner_text().strip()
    assert re.fullmatch(r"\d{6}", one_time)
    assert one_time not in page.url
    _screenshots(page, "page")
    _open_operators(page)
    row = page.locator(f"tr[data-operator='{clerk}']")
    expect(row.locator("[data-badge=yes]")).to_be_visible()
    _screenshots(page, "list")
    _sign_out(page)

    # The clerk signs in with the one-time PIN and must choose their own first.
    sign_in(page, clerk, one_time, expect_home=False)
    expect(page.get_by_test_id("pin-change-required")).to_be_visible()
    page.goto("/")
    expect(page.get_by_test_id("pin-change-required")).to_be_visible()  # every page leads here
    page.get_by_test_id("pin-current").fill(one_time)
    page.get_by_test_id("pin-new").fill("7410")
    page.get_by_test_id("pin-new-again").fill("7410")
    page.get_by_test_id("pin-save").click()
    expect(page.locator(".notice-success")).to_contain_text("新密码")
    sign_in(page, clerk, "7410")
    _sign_out(page)
    page.get_by_test_id("badge").fill(badge)
    page.get_by_test_id("badge").press("Enter")
    expect(page.get_by_test_id("who")).to_contain_text(clerk)
    _sign_out(page)

    # The admin deactivates the clerk: no more sign-in, by PIN or badge.
    sign_in(page, admin, "4826")
    _open(page, clerk)
    page.get_by_test_id("deactivate").click()
    expect(page.get_by_test_id("operator-status")).to_contain_text("停用")
    expect(page.locator("[data-action=deactivated]")).to_be_visible()
    _sign_out(page)
    expect(user_tile(page, clerk)).to_have_count(0)
    page.get_by_test_id("badge").fill(badge)
    page.get_by_test_id("badge").press("Enter")
    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_count(0)


def test_a_supervisor_cannot_promote_anyone_to_admin(page, server):
    boss, clerk = server.add_users((unique("领班"), "supervisor", "7531"), (unique("收发员"), "clerk", "2580"))
    sign_in(page, boss, "7531")
    _open(page, clerk)
    options = page.get_by_test_id("role-select").locator("option")
    expect(options).to_have_count(2)  # clerk, ironer
    assert sorted(options.evaluate_all("els => els.map(e => e.value)")) == ["clerk", "ironer"]
    user_id = re.search(r"/operators/(\d+)", page.url).group(1)

    # Sent anyway, the server refuses, and the clerk stays a clerk.
    answer = post_form(page, f"/operators/{user_id}/role", {"role": "admin"})
    assert answer.status == 302
    page.reload()
    expect(page.locator(".notice-error")).to_be_visible()
    _open_operators(page)
    expect(page.locator(f"tr[data-operator='{clerk}'] [data-role]")).to_have_attribute("data-role", "clerk")
    expect(page.locator(f"tr[data-operator='{boss}'] [data-testid=operator-open]")).to_contain_text("记录")
