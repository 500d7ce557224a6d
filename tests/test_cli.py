"""kiosk/cli.py and the other commands: the command line speaks the kiosk's language (KIOSK_LANGUAGE), as the screens do."""
from __future__ import annotations

from pathlib import Path

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


def test_the_operators_commands_answer_in_chinese(ctx, zh, make):
    make.user("管理员", role="admin")
    db.session.commit()
    said = [zh("user", "add", "小李", "--role", "clerk", "--pin", "2580"),
            zh("user", "set-role", "小李", "supervisor"), zh("user", "set-role", "小李", "supervisor"),
            zh("user", "set-badge", "小李", "--badge", "XL-1"), zh("user", "unlock", "小李"),
            zh("user", "deactivate", "小李"), zh("user", "reactivate", "小李"), zh("user", "list")]
    assert all(result.exit_code == 0 for result in said), [r.output for r in said]
    out = [result.output.strip() for result in said]
    assert out[0] == "已添加操作员 小李，角色：收发员。"
    assert out[1] == "小李 现为主管。" and out[2] == "小李 已经是主管。"
    assert out[3] == "小李 的工牌：已分配。" and out[4] == "小李 没有被锁定。"
    assert out[5] == "小李 已停用。" and out[6] == "小李已恢复在职。"
    assert "小李\t主管\t工牌：有\t上次登录：从未" in out[7] and "管理员\t管理员\t工牌：无" in out[7]
    assert not [(o, _english(o)) for o in out if _english(o)]


def test_a_refusal_on_the_command_line_is_in_chinese(ctx, zh, make):
    refused = zh("user", "unlock", "没有这个人")
    assert refused.exit_code == 1 and refused.output.startswith("Error: ")
    assert not _english(refused.output.removeprefix("Error: ")), refused.output
    both = zh("user", "set-badge", "没有这个人", "--badge", "X", "--revoke")
    assert both.exit_code == 1 and "二选一" in both.output


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


def test_backup_and_restore_refuse_in_chinese(ctx, zh, tmp_path):
    missing = zh("backup", str(tmp_path / "缺少的文件夹"))
    assert missing.exit_code == 1 and "备份文件夹" in missing.output and "不存在" in missing.output, missing.output
    no_backup = zh("restore", str(tmp_path / "没有的备份.sqlite3"), "--yes")
    assert no_backup.exit_code == 1 and "找不到备份" in no_backup.output, no_backup.output
    for result in (missing, no_backup):
        assert not _english(result.output.replace(str(tmp_path), "").removeprefix("Error: ")), result.output


def _banner(tmp_path, database_url: str, host: str, **env) -> str:
    """The first line `kiosk serve` prints, the server then stopped (SIGTERM, as systemctl does)."""
    import os
    import subprocess
    import sys

    from tests.printers.fakeprinter import free_port

    environment = {**os.environ, "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "KIOSK_DATABASE_URL": database_url,
                   "KIOSK_PRINT_WORKER": "0", "PYTHONUNBUFFERED": "1", "KIOSK_LANGUAGE": "en", **env}
    environment.pop("FLASK_APP", None)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "kiosk", "serve", "--host", host,
                               "--port", str(port)], cwd=Path(__file__).resolve().parents[1], env=environment, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in server.stdout:
            if line.startswith(("Uniform Room Kiosk:", "制服室终端：")):
                return line.replace(str(port), "PORT").strip()
        raise AssertionError(f"kiosk serve exited {server.wait()} without its banner")
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def test_serving_every_interface_the_banner_names_the_addresses_tablets_type(tmp_path, database_url):
    from kiosk.cli import _own_addresses

    banner = _banner(tmp_path, database_url, "0.0.0.0", KIOSK_URL_PREFIX="/kiosk")
    assert "0.0.0.0" not in banner
    assert banner.endswith("http://127.0.0.1:PORT/kiosk/")
    own = _own_addresses()
    assert own, "this machine has no network address to show"
    for address in own:
        assert f"http://{address}:PORT/kiosk/" in banner


def test_serving_this_machine_only_the_banner_says_how_to_let_tablets_in(tmp_path, database_url):
    banner = _banner(tmp_path, database_url, "127.0.0.1")
    assert banner == ("Uniform Room Kiosk: http://127.0.0.1:PORT/ (this machine only; "
                      "KIOSK_HOST=0.0.0.0 lets the tablets in)")


def test_in_chinese_the_banner_says_it_in_chinese(tmp_path, database_url):
    banner = _banner(tmp_path, database_url, "127.0.0.1", KIOSK_LANGUAGE="zh_CN")
    assert banner.startswith("制服室终端：http://127.0.0.1:PORT/") and not _english(banner.replace("KIOSK_HOST", "")), banner
