"""Shared fixtures: the rule set, the demo build, and the seed corpus from ../shared (skipped if absent)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from zhengji_kg import build, extract_document, load_rules
from zhengji_kg.base.model import Document
from zhengji_kg.extract.relate import rules_alone

ROOT = Path(__file__).resolve().parent.parent
# how many documents the demo corpus holds (its sidecars are none): tests that build it count on it
DEMO = sum(1 for p in (ROOT / "corpus").iterdir() if not p.name.endswith(".meta.yaml"))
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"


@pytest.fixture(scope="session")
def rules():
    return load_rules()


@pytest.fixture(scope="session")
def demo_kg(rules):
    return build([ROOT / "corpus"], rules, keep_text=True)


@pytest.fixture(scope="session")
def seeds_kg(rules):
    if not SEEDS.is_dir():
        pytest.skip("../shared/corpus/seeds is absent (tests of the real documents need shared/ beside the repo)")
    return build([SEEDS], rules, keep_text=True)


@pytest.fixture(scope="session")
def proposing(rules):
    """The rules without the learned decision (``relate.rules_alone``): every mention they propose, and the
    relations they propose by a stated form."""
    return replace(rules, weights=rules_alone(rules))


@pytest.fixture
def run(proposing):
    """What the rules propose in one text (every candidate kept): the grammar of names, before the decision."""

    def _run(text: str) -> Document:
        return extract_document(Document(id="t", path="t", text=text, original_text=text), proposing)

    return _run


@pytest.fixture
def decide(rules):
    """Extract from one text as `zhengji-kg explain` does: candidates, then the scored decision."""

    def _run(text: str) -> Document:
        return extract_document(Document(id="t", path="t", text=text, original_text=text), rules)

    return _run


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's package) driven by Playwright; skipped with the reason where absent."""
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page():
    """Open a page offline; return (page, console and page errors)."""
    return _open


def _open(browser, path: Path, settle: int = 1500):
    """Open ``path`` in a new offline context (closed with ``page.context.close()``), wait for the graph
    and then ``settle`` ms for it to lay out."""
    ctx = browser.new_context(offline=True, viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.zhengjiNetwork !== undefined", timeout=20000)
    page.wait_for_timeout(settle)
    return page, errors


# A descriptor an output lock holds must be closed by the lock alone. Once in ~10 full runs a build's lock
# was found closed under it (EBADF when it let go): some code closed a number it no longer owned, which the
# lock had been given since. This watch names the culprit: any other close of such a descriptor is recorded
# with its stack, in whatever thread it happens, and fails the test it happens in.
_STOLEN: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _watch_lock_descriptors():
    import os
    import threading
    import traceback

    from zhengji_kg.base import output

    real_close = os.close

    def close(fd: int) -> None:
        if fd in output._HELD:
            frames = traceback.extract_stack()
            if not any(
                f.name in ("__exit__", "_close_held_in_child") and f.filename == output.__file__ for f in frames
            ):
                where = "".join(traceback.format_list(frames[-12:]))
                _STOLEN.append(
                    f"descriptor {fd} of an output lock closed in {threading.current_thread().name}:\n{where}"
                )
        real_close(fd)

    os.close = close
    yield
    os.close = real_close


@pytest.fixture(autouse=True)
def _no_lock_descriptor_closed_by_others():
    yield
    if _STOLEN:
        stolen = list(_STOLEN)
        _STOLEN.clear()
        pytest.fail("\n".join(stolen))
