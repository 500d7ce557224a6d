"""The command line speaks the kiosk's language (KIOSK_LANGUAGE), as the screens do."""
from __future__ import annotations

import pytest

from kiosk.extensions import db
from tests.test_english_crawl import english_words

#: what a command line may name as it is: the commands themselves
COMMAND_WORDS = {"flask", "app", "kiosk", "init", "serve", "demo", "remove", "yes", "badge", "revoke",
                 "setup", "code", "pg_dump", "dump", "format", "custom", "file"}


@pytest.fixture
def zh(app, runner):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    return lambda *args, input=None: runner.invoke(args=["kiosk", *args], input=input)


def _english(output: str) -> list[str]:
    return [word for word in english_words(output) if word not in COMMAND_WORDS]


def test_demo_and_privacy_answer_in_chinese(ctx, zh, tmp_path):
    erased = zh("privacy", "erase")
    assert erased.exit_code == 0 and erased.output.startswith("已清除 0 笔"), erased.output
    not_demo = zh("demo", "--remove", "--yes")
    assert not_demo.exit_code == 1 and not _english(not_demo.output.removeprefix("Error: ")), not_demo.output
    assert not _english(erased.output), erased.output


def test_out_of_the_box_the_command_line_is_chinese(product_language, ctx, runner):
    """KIOSK_LANGUAGE unset: zh_CN, as the screens."""
    assert runner.invoke(args=["kiosk", "privacy", "erase"]).output.startswith("已清除")


def test_in_english_the_command_line_is_english(ctx, runner):
    assert runner.invoke(args=["kiosk", "privacy", "erase"]).output.startswith("Erased the contact details")
