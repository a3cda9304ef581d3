"""Browser-test set-up: Debian's chromium (installed with apt-get where missing), axe-core from
npm (installed into tests/browser/node_modules where missing), Playwright driving them.

Playwright's own browser download (``playwright install``) is never used: it fetches a build
from outside the package registries, which our machines cannot reach.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"could not {what}: {' '.join(command)}\n{result.stderr[-2000:]}")


# Fonts for every script of the applicants' languages: without Noto's Ethiopic, Tigrinya
# pages render as empty boxes (and screenshots show boxes); Debian's chromium pulls in none.
NOTO = Path("/usr/share/fonts/truetype/noto/NotoSansEthiopic-Regular.ttf")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium and Noto fonts; installed with apt-get the first time (root on our
    machines)."""
    missing = [
        p for p, path in (("chromium", CHROMIUM), ("fonts-noto-core", NOTO)) if not path.exists()
    ]
    if missing:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", *missing],
        ):
            result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if result.returncode != 0:
                pytest.fail(f"could not install {missing}: {result.stderr[-2000:]}")
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core, pinned by tests/browser/package-lock.json; `npm ci` the first time."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install axe-core for the accessibility test")
        _run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)], "install axe-core")
    return AXE


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's async-safety check must be told so. Module scope: the
    # loop and the variable are gone before other modules' tests run (a leaked variable
    # fails `check --deploy`, async.E001).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
