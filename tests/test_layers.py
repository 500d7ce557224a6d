"""The layers as contracts: ``lint-imports`` (import-linter) over kiosk/ and printers/.

The contracts live in pyproject.toml ([tool.importlinter]): printers/ imports
nothing from the kiosk; printers/ is layered (encoding, the native encoder,
rendering and the profile, documents, errors; the transport beside them);
kiosk.domain imports no Flask and nothing of the kiosk but itself; services
import no Flask; no import cycles between the kiosk's packages.

Each breaking case runs the same command on a copy of the code with one
import added, so a contract that stopped checking would show here.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` in ``root`` (its pyproject.toml, its packages first on the path)."""
    command = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(command if command.exists() else "lint-imports"), "--no-cache", "--no-logo"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_code_keeps_every_layer_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: [1-9]\d* kept, 0 broken", result.stdout), result.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The Python files of kiosk/ and printers/ and the contracts, in a scratch folder."""
    for package in ("kiosk", "printers"):
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=lambda folder, names: [n for n in names if not n.endswith(".py")
                                                      and not (Path(folder) / n).is_dir()
                                                      or n == "__pycache__"])
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(root: Path, module: str, line: str) -> None:
    path = root / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("printers/errors.py", "from kiosk.domain.errors import DomainError", "printers/ imports nothing from the kiosk"),
    ("printers/transport.py", "from printers import native", "the transport carries bytes only"),
    ("printers/native.py", "from printers.encoding import encode", "encoding above the native encoder"),
    ("kiosk/domain/codes.py", "from kiosk.models import Event", "kiosk.domain: no Flask"),
    ("kiosk/domain/defects.py", "from flask import current_app", "kiosk.domain: no Flask"),
    ("kiosk/writeoffs/services.py", "from flask import request", "services take what they need as arguments"),
    ("kiosk/request_keys.py", "from flask import request", "services take what they need as arguments"),
    ("kiosk/writeoffs/services.py", "from kiosk.loans.services import settle_written_off",
     "no import cycles between the kiosk's packages"),
])
def test_breaking_a_layer_fails_the_suite(copy, module, line, contract):
    assert lint_imports(copy).returncode == 0  # the copy keeps them all, as the code does
    _add_import(copy, module, line)
    result = lint_imports(copy)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken.replace("\n", " "), result.stdout
