"""The login and home screens on the 10" tablet, landscape and portrait.

Saves screenshots to tests/e2e/artifacts/ (login-1280x800.png, home-800x1280.png,
...) and checks what a finger needs: every visible button, link and field is
at least 48 px tall, and nothing scrolls sideways.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import ARTIFACTS, sign_in, unique

MIN_TOUCH_PX = 48

# Every visible control's box; a radio or checkbox hidden inside its label (the
# name tiles) is tapped through the label, so the label's box is what counts.
_TARGETS_JS = """
() => Array.from(document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, [role=button]'))
  .map(el => {
    const style = getComputedStyle(el);
    let box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') return null;
    const label = el.closest('label');
    if (label && (el.type === 'radio' || el.type === 'checkbox')) box = label.getBoundingClientRect();
    const what = el.dataset.testid || el.dataset.key || el.name || el.id
      || (el.textContent || '').trim().slice(0, 30);
    return {what: el.tagName.toLowerCase() + ' ' + what, height: Math.round(box.height * 10) / 10};
  })
  .filter(Boolean)
"""


def _too_small(page: Page) -> list[dict]:
    targets = page.evaluate(_TARGETS_JS)
    assert targets, "no controls found on " + page.url
    return [t for t in targets if t["height"] < MIN_TOUCH_PX]


def _sideways_overflow(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.fixture
def page(tablet):
    """The tablet held landscape, then portrait (conftest's ``tablet``)."""
    return tablet


def test_login_and_home_screens_fit_the_tablet_and_a_finger(page, server):
    size = "{width}x{height}".format(**page.viewport_size)
    clerk, supervisor = server.add_users((unique("林娜"), "clerk", "2580"),
                                         (unique("高军"), "supervisor", "8052"))
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto("/login")
    expect(page.locator(".user-tile").filter(has_text=clerk)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"login-{size}.png"))
    assert _too_small(page) == [], f"login at {size}: touch targets under {MIN_TOUCH_PX}px"
    assert _sideways_overflow(page) <= 0, f"login at {size} scrolls sideways"

    sign_in(page, supervisor, "8052")
    page.screenshot(path=str(ARTIFACTS / f"home-{size}.png"))
    assert _too_small(page) == [], f"home at {size}: touch targets under {MIN_TOUCH_PX}px"
    assert _sideways_overflow(page) <= 0, f"home at {size} scrolls sideways"
