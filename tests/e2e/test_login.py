"""Signing in at the counter: PIN pad, badge scan, wrong PINs, the lock, sign out, idle lock.

Messages are read in English (the clerk taps "English" first) where the test
checks their words, so these tests do not depend on the zh_CN catalogue;
tests/e2e/test_language.py checks the Chinese screens.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import post_form, sign_in, switch_language, tap_pin, unique, user_tile


def test_pin_pad_sign_in_opens_the_home_screen_with_the_users_name(page, server):
    name = server.add_user(unique("王芳"), role="clerk", pin="2468")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))

    user_tile(page, name).click()
    expect(page.locator("input[name=user_id]:checked")).to_have_count(1)
    tap_pin(page, "2468")
    expect(page.get_by_test_id("pin")).to_have_value("2468")
    page.get_by_test_id("pin-ok").click()

    expect(page).to_have_url(server.url + "/")
    expect(page.get_by_test_id("who")).to_contain_text(name)
    expect(page.locator("#home h1")).to_contain_text(name)


def test_clear_key_empties_the_pin_so_a_mistyped_digit_can_be_retyped(page, server):
    name = server.add_user(unique("陈静"), pin="1357")
    page.goto("/login")
    user_tile(page, name).click()
    tap_pin(page, "139")
    page.locator("[data-pinpad] [data-key='clear']").click()
    expect(page.get_by_test_id("pin")).to_have_value("")
    tap_pin(page, "1357")
    page.get_by_test_id("pin-ok").click()
    expect(page.get_by_test_id("who")).to_contain_text(name)


def test_badge_scan_signs_in_without_a_pin(page, server):
    badge = unique("B-")
    name = server.add_user(unique("李强"), role="clerk", badge=badge)
    page.goto("/login")

    # The wedge scanner types the code into the focused badge field, then Enter.
    field = page.get_by_test_id("badge")
    expect(field).to_be_focused()
    page.keyboard.type(badge.lower())  # codes are matched case-insensitively
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("who")).to_contain_text(name)


def test_unknown_badge_is_refused_with_a_message(page, server):
    page.goto("/login")
    switch_language(page, "en")
    page.get_by_test_id("badge").press_sequentially("NO-SUCH-BADGE")
    page.get_by_test_id("badge").press("Enter")
    expect(page.get_by_test_id("login-error")).to_contain_text("This badge is not known")
    expect(page.get_by_test_id("who")).to_have_count(0)


def test_wrong_pin_shows_the_message_and_the_tries_left(page, server):
    name = server.add_user(unique("赵敏"), pin="2580")
    page.goto("/login")
    switch_language(page, "en")

    sign_in(page, name, "9999", expect_home=False)

    error = page.get_by_test_id("login-error")
    expect(error).to_have_text(re.compile(r"Wrong PIN.*\b4\b"))  # "... Tries left before the lock: 4."
    # Still on the login screen, the name still selected, the PIN field empty.
    expect(page.get_by_test_id("who")).to_have_count(0)
    expect(user_tile(page, name).locator("input[name=user_id]")).to_be_checked()
    expect(page.get_by_test_id("pin")).to_have_value("")


def test_five_wrong_pins_lock_the_user_even_against_the_right_pin(page, server):
    name = server.add_user(unique("孙丽"), pin="2580")
    page.goto("/login")
    switch_language(page, "en")
    error = page.get_by_test_id("login-error")

    for left in (4, 3, 2, 1):
        sign_in(page, name, "0000", expect_home=False)
        expect(error).to_have_text(re.compile(rf"Wrong PIN.*\b{left}\b"))
    sign_in(page, name, "0000", expect_home=False)
    expect(error).to_have_text(re.compile(rf"{name} is now locked until \d\d:\d\d"))  # the hotel's clock

    # Sixth attempt, with the RIGHT PIN: refused while the lock lasts.
    sign_in(page, name, "2580", expect_home=False)
    expect(error).to_contain_text(f"{name} is locked after too many wrong PINs")
    expect(error).to_have_text(re.compile(r"until \d\d:\d\d"))
    expect(page.get_by_test_id("who")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_sign_out_returns_to_the_login_screen(page, server):
    name = server.add_user(unique("郑洁"))
    sign_in(page, name)

    page.get_by_test_id("logout").click()

    expect(page).to_have_url(re.compile(r"/login"))
    expect(user_tile(page, name)).to_be_visible()
    expect(page.get_by_test_id("who")).to_have_count(0)
    # The server agrees: the home screen is closed again.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_idle_kiosk_returns_to_login_after_five_minutes_without_input(page, server):
    name = server.add_user(unique("冯雪"))
    page.clock.install()  # the browser's timers run on a clock the test moves
    sign_in(page, name)

    page.clock.fast_forward("04:00")
    expect(page.get_by_test_id("who")).to_contain_text(name)  # 4 min: still open

    page.clock.fast_forward("02:00")  # 6 min without a touch: the JS idle lock fires
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator(".notice-warning")).to_be_visible()  # "locked itself" message
    expect(page.get_by_test_id("who")).to_have_count(0)
    # The server signed the session out too (POST /logout with idle=1).
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_touch_restarts_the_idle_countdown(page, server):
    name = server.add_user(unique("韩梅"))
    page.clock.install()
    sign_in(page, name)

    page.clock.fast_forward("04:00")
    page.locator("#home h1").click()  # the clerk touches the screen
    page.clock.fast_forward("04:00")  # 8 min since sign-in, 4 since the touch
    expect(page.get_by_test_id("who")).to_contain_text(name)
    page.clock.fast_forward("01:30")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_sign_in_posted_without_the_pages_csrf_token_is_refused(page, server):
    name = server.add_user(unique("钱程"), pin="2580")
    page.goto("/login")
    user_id = user_tile(page, name).locator("input[name=user_id]").get_attribute("value")

    refused = post_form(page, "/login", {"user_id": user_id, "pin": "2580"}, with_token=False)
    assert refused.status == 400
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))

    # The same form with the token the page was given goes through.
    accepted = post_form(page, "/login", {"user_id": user_id, "pin": "2580"})
    assert accepted.status == 302, accepted.text()
    page.goto("/")
    expect(page.get_by_test_id("who")).to_contain_text(name)
