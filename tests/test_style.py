"""The code stays ruff-clean (lint is part of the test suite, so CI and the README command check it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean() -> None:
    if (
        shutil.which("ruff") is None
        and subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode != 0
    ):
        pytest.skip("ruff not installed (pip install -e '.[test]')")
    res = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "src", "tests"], cwd=ROOT, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_readme_names_the_wheel_of_this_release() -> None:
    """The install commands name the wheel file by its version: they must follow each release."""
    import re
    import tomllib

    from zhengji_kg import __version__

    assert tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"] == __version__
    for page in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):  # the manual's pages too
        named = set(re.findall(r"zhengji_kg-([0-9][^-]*)-py3-none-any\.whl", page.read_text("utf-8")))
        assert named <= {__version__}, page.name
    assert re.search(r"zhengji_kg-[^-]+-py3-none-any\.whl", (ROOT / "README.md").read_text("utf-8"))
