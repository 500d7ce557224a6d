"""Chinese first: every message in the code has a zh_CN translation."""
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from kiosk.extensions import db

ROOT = Path(__file__).resolve().parent.parent
# Babel spells zh_CN as zh_Hans_CN, and that is the folder gettext looks in.
CATALOG = ROOT / "kiosk" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _messages_in_code():
    """Every msgid of the kiosk and of the printer adapter (its reasons and slip labels)."""
    found = {}
    for package in ("kiosk", "printers"):
        for filename, lineno, message, _comments, context in extract_from_dir(
                ROOT / package, METHODS, keywords=KEYWORDS):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault((context, msgid), f"{package}/{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalog():
    with CATALOG.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def test_every_message_in_the_code_has_a_chinese_translation(catalog):
    missing = []
    for (context, msgid), where in sorted(_messages_in_code().items(), key=lambda item: item[1]):
        entry = catalog.get(msgid, context=context)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{where}: {msgid!r}" + (f" ({context})" if context else ""))
    assert missing == [], "untranslated:\n" + "\n".join(missing)


def test_translations_keep_every_placeholder(catalog):
    broken = [m.id for m in catalog if m.id and m.string and isinstance(m.id, str)
              and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))]
    assert broken == []


def test_login_page_is_chinese_by_default_and_english_on_request(product_language, client):
    from tests.conftest import Factory

    with product_language.app_context():  # an operator: without one the login leads to the first-run screen
        Factory().user()
        db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "登录" in page
    client.post("/language", data={"lang": "en", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Sign in" in page


def test_money_and_dates_are_formatted_for_the_locale(app):
    import datetime as dt
    from decimal import Decimal

    from flask_babel import force_locale

    from kiosk.i18n import money, when

    moment = dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.timezone.utc)  # 00:30 next day in Shanghai
    with app.test_request_context():
        with force_locale("zh_CN"):
            assert money(Decimal("1234.5")) == "¥1,234.50"
            assert "2026/11/27" in when(moment) and "00:30" in when(moment)
        with force_locale("en"):
            assert "1,234.50" in money(Decimal("1234.5"))
            assert "11/27/26" in when(moment)


def test_a_templates_messages_follow_the_locale_and_escape_what_they_carry(app):
    from flask import render_template_string
    from flask_babel import force_locale

    source = ('{{ _("%(tag)s was scanned here a moment ago; nothing new was recorded.", tag=tag) }}|'
              '{{ ngettext("%(num)d hour late", "%(num)d hours late", 3) }}')
    with app.test_request_context():
        with force_locale("zh_CN"):
            chinese = render_template_string(source, tag="<b>T1</b>")
        with force_locale("en"):  # the same request in another language: its own catalogue
            english = render_template_string(source, tag="<b>T1</b>")
    assert chinese == "&lt;b&gt;T1&lt;/b&gt; 刚刚已在此扫描，未重复记录。|逾期 3 小时"
    assert english == "&lt;b&gt;T1&lt;/b&gt; was scanned here a moment ago; nothing new was recorded.|3 hours late"
