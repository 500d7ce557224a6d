"""Chinese by default, English on request: the toggle in the top bar.

The tests decorated ``needs_catalogue`` read Chinese words on the screen, so they need
the compiled zh_CN catalogue (``make translations``); without it they are
skipped with a "PENDING zh_CN catalogue" reason that ``-ra`` shows.
"""
from __future__ import annotations

import gettext
import re

import pytest
from playwright.sync_api import expect

from .helpers import sign_in, switch_language, unique, zh_catalogue

needs_catalogue = pytest.mark.skipif(
    zh_catalogue() is None,
    reason="PENDING zh_CN catalogue: kiosk/translations/zh_Hans_CN/LC_MESSAGES/messages.mo "
           "not compiled (make translations)",
)

ENGLISH_LOGIN_WORDS = ("Tap your name", "Type your PIN", "Or scan your badge", "Clear")


@pytest.fixture(scope="module", autouse=True)
def an_operator(server):
    """A hotel with an operator: without one every page leads to the first-run screen."""
    server.add_user(unique("语言"))


def test_login_page_is_chinese_by_default(page, server):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    # The toggle offers the other language, named in that language.
    expect(page.get_by_test_id("lang-en")).to_have_text("English")
    expect(page.get_by_test_id("lang-zh_CN")).to_have_count(0)


def zh(msgid: str, **params) -> str:
    """What the compiled zh_CN catalogue says for ``msgid``."""
    with open(zh_catalogue(), "rb") as fh:
        text = gettext.GNUTranslations(fh).gettext(msgid)
    assert text != msgid, f"no Chinese for {msgid!r} in the catalogue"
    return text % params if params else text


@needs_catalogue
def test_login_page_shows_chinese_words_by_default(page, server):
    page.goto("/login")
    expect(page).to_have_title(re.compile("登录"))
    expect(page.locator("legend")).to_have_text(zh("1. Tap your name"))
    expect(page.get_by_test_id("pin-ok")).to_have_text(zh("Sign in"))
    body = page.locator("body")
    for words in ENGLISH_LOGIN_WORDS:
        expect(body).not_to_contain_text(words)


def test_english_toggle_switches_the_login_page_and_back(page, server):
    page.goto("/login")

    switch_language(page, "en")
    expect(page).to_have_title("Sign in")
    expect(page.locator("legend")).to_have_text("1. Tap your name")
    expect(page.get_by_test_id("pin-ok")).to_have_text("Sign in")
    expect(page.get_by_test_id("lang-zh_CN")).to_have_text("中文")
    expect(page.get_by_test_id("lang-en")).to_have_count(0)

    switch_language(page, "zh_CN")
    expect(page.get_by_test_id("lang-en")).to_have_text("English")
    expect(page).to_have_url(re.compile(r"/login"))


def test_language_switch_keeps_working_after_sign_in(page, server):
    name = server.add_user(unique("刘洋"))
    page.goto("/login")
    switch_language(page, "en")

    sign_in(page, name)  # the choice made at the login screen carries over
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#home h1")).to_have_text(f"Hello, {name}")
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")

    switch_language(page, "zh_CN")  # still signed in, still on the home screen
    expect(page).to_have_url(re.compile(r"/(\?)?$"))
    expect(page.get_by_test_id("who")).to_contain_text(name)

    switch_language(page, "en")
    expect(page.get_by_test_id("who")).to_contain_text(name)
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")

    page.get_by_test_id("logout").click()  # signing out keeps the kiosk's language
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", "en")


@needs_catalogue
def test_home_screen_shows_chinese_words_after_switching_back(page, server):
    name = server.add_user(unique("杨帆"), role="supervisor")
    page.goto("/login")
    switch_language(page, "en")
    sign_in(page, name)
    expect(page.locator("#home h1")).to_have_text(f"Hello, {name}")

    switch_language(page, "zh_CN")
    expect(page.locator("#home h1")).to_have_text(zh("Hello, %(name)s", name=name))
    expect(page.get_by_test_id("logout")).to_have_text(zh("Sign out"))
    expect(page.locator("[data-station='imports.upload'] .tile-name")).to_have_text(zh("Import from Excel"))
