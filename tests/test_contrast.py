"""Every text and badge colour in kiosk.css against what it sits on: a contrast of at least 4.5:1 (WCAG AA).

Read from the stylesheet itself, so a colour changed there is checked here. A rule's
text colour is paired with its own background; a rule without one sits on what an
ancestor in its selector paints (``.topbar .who`` on ``.topbar``), else on a card
(white) or the page. A rule that only paints a background holds text of the inherited
colour (the ink). ``opacity`` blends the text into what is behind it. Disabled
controls are exempt, as WCAG has it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[1] / "kiosk" / "static" / "css" / "kiosk.css"
MINIMUM = 4.5


def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip().lower()] = value.strip()
        for selector in selectors.split(","):
            selector = " ".join(selector.split())
            if selector and not selector.startswith("@"):
                rules.append((selector, declarations))
    return rules


RULES = _rules(CSS.read_text(encoding="utf-8"))
VARIABLES = {name: value for selector, body in RULES if selector == ":root"
             for name, value in body.items() if name.startswith("--")}
NAMED = {"white": "#ffffff", "black": "#000000", "#fff": "#ffffff", "#000": "#000000"}


def _resolve(value: str) -> str:
    for _ in range(5):  # var(--x, fallback)
        value = re.sub(r"var\((--[\w-]+)(?:\s*,\s*([^)]+))?\)",
                       lambda m: VARIABLES.get(m.group(1), m.group(2) or ""), value)
    return value


def _colours(value: str) -> list[tuple[float, float, float]]:
    """The solid colours in a declaration (a gradient's stops each), as 0-1 RGB."""
    value = _resolve(value).lower()
    found = []
    for word in re.findall(r"#[0-9a-f]{3,8}\b|\bwhite\b|\bblack\b", value):
        hex_ = NAMED.get(word, word).lstrip("#")
        if len(hex_) in (3, 4):
            hex_ = "".join(c * 2 for c in hex_[:3])
        found.append(tuple(int(hex_[i:i + 2], 16) / 255 for i in (0, 2, 4)))
    return found


def _luminance(rgb) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg, bg) -> float:
    lighter, darker = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _background(body: dict[str, str]) -> list:
    return _colours(body.get("background-color") or body.get("background") or "")


def _classes(compound: str) -> set[str]:
    return set(re.findall(r"[.#][\w-]+|^[a-z]+", re.sub(r":[\w-]+\([^)]*\)|::?[\w-]+|\[[^\]]*\]", "", compound)))


CARD, PAGE = _colours(VARIABLES["--card"])[0], _colours(VARIABLES["--bg"])[0]
INK = _colours(VARIABLES["--ink"])[0]


def _behind(selector: str) -> list:
    """What a rule without its own background sits on: the nearest ancestor that paints one."""
    compounds = re.sub(r"\s*[>+~]\s*", " ", selector).split(" ")
    for ancestor in reversed(compounds[:-1]):
        wanted = _classes(ancestor)
        painted = [bg for other, body in RULES
                   if wanted and wanted <= _classes(other.split(" ")[-1]) for bg in _background(body)]
        if painted:
            return painted
    return [CARD, PAGE]


def _blend(fg, bg, alpha: float):
    return tuple(f * alpha + b * (1 - alpha) for f, b in zip(fg, bg))


#: rules whose text colour has no text to colour, and why
EMPTY = {
    ".tick-box": "an empty box until it is ticked; the ✓ is then white on green (.tick:has(input:checked) .tick-box)",
    ".tick-blocked .tick-box": "holds only its ✗, coloured by its ::after (red on white)",
}


def _own_colour(selector: str) -> list:
    """The text colour of an element a rule paints without saying its colour: what its own classes set, else the ink."""
    mine = _classes(selector.split(" ")[-1])
    said = [fg for other, body in RULES if body.get("color") and " " not in other and _classes(other)
            and _classes(other) <= mine for fg in _colours(body["color"])]
    return said or [INK]


def _pairs():
    for selector, body in RULES:
        if ":disabled" in selector or body.get("display") == "none" or selector in EMPTY:
            continue
        colour = body.get("color")
        backgrounds = _background(body)
        if colour is None and not backgrounds:
            continue
        if "transparent" in (body.get("background") or "") or not backgrounds:
            backgrounds = _behind(selector)
        texts = _colours(colour) if colour else _own_colour(selector)
        if not texts:
            continue  # inherit, currentColor
        alpha = float(body["opacity"]) if re.fullmatch(r"[\d.]+", body.get("opacity", "")) else 1.0
        if alpha == 0:
            continue
        for fg in texts:
            for bg in backgrounds:
                yield selector, fg, bg, alpha


PAIRS = list(_pairs())


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def test_the_stylesheet_is_read_and_pairs_are_found():
    assert len(PAIRS) > 100
    selectors = {selector for selector, *_ in PAIRS}
    assert {".stock-low-badge", ".badge", ".status-in_stock", ".topbar .who"} <= selectors


def test_the_check_catches_the_low_stock_badge_as_it_was():
    assert contrast(_colours("#fff")[0], _colours("#f59e0b")[0]) == pytest.approx(2.15, abs=0.01)


@pytest.mark.parametrize("selector, fg, bg, alpha", PAIRS, ids=[f"{s} {_hex(f)}/{_hex(b)}" for s, f, b, _a in PAIRS])
def test_every_text_and_badge_colour_has_a_contrast_of_at_least_4_5(selector, fg, bg, alpha):
    seen = _blend(fg, bg, alpha)
    assert contrast(seen, bg) >= MINIMUM, f"{selector}: {_hex(fg)} on {_hex(bg)} is {contrast(seen, bg):.2f}:1"
