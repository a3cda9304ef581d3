"""What the PDF letters need from the machine: Pango (WeasyPrint lays text out with it) and the
Noto fonts of every script the applicants read, installed from Debian when missing.

Without Noto Sans Ethiopic a Tigrinya letter prints empty boxes; without Noto Naskh Arabic an
Arabic, Dari or Pashto letter falls back to a font that may not shape the script at all; without
Pango WeasyPrint cannot start. ``make run`` calls ``manage.py install_letter_fonts`` and the test
set-up calls ``install_missing`` (as the browser tests install Chromium), so a fresh Debian
machine writes correct letters; elsewhere the packages are named for the administrator.
"""

from __future__ import annotations

import ctypes.util
import os
import subprocess  # nosec B404
from pathlib import Path

NOTO = Path("/usr/share/fonts/truetype/noto")
# The files each Debian package brings that the letters use, and the libraries.
FONT_FILES = {
    "fonts-noto-core": (
        NOTO / "NotoSans-Regular.ttf",
        NOTO / "NotoNaskhArabic-Regular.ttf",
        NOTO / "NotoSansEthiopic-Regular.ttf",
    ),
}
LIBRARIES = {"libpango-1.0-0": "pango-1.0", "libpangoft2-1.0-0": "pangoft2-1.0"}


def missing_packages() -> list[str]:
    """The Debian packages the letters need that this machine lacks."""
    missing = [
        package for package, files in FONT_FILES.items() if not all(path.exists() for path in files)
    ]
    missing += [
        package for package, name in LIBRARIES.items() if ctypes.util.find_library(name) is None
    ]
    return missing


def install_missing() -> tuple[list[str], str]:
    """Install what is missing with apt-get (root on our machines). Returns the packages that
    were missing and apt-get's error ("" when all went well or nothing was missing)."""
    missing = missing_packages()
    if not missing:
        return [], ""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
    ):
        try:  # apt-get with fixed arguments, no shell
            result = subprocess.run(  # noqa: S603  # nosec B603
                command, capture_output=True, text=True, env=env, check=False
            )
        except OSError as exc:  # no apt-get: not Debian
            return missing, str(exc)
        if result.returncode != 0:
            return missing, result.stderr[-2000:]
    return missing, ""
