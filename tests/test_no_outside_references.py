"""Comments, docstrings, templates and docs say the rule itself, never "see a document" that is
not in the repository (design notes, style guides, issue threads): a newcomer who clones the
repository cannot open those, so the sentence must carry the rule (e.g. "Public
Administration Act § 29: …")."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()

OUTSIDE = re.compile(
    r"\b(?:DESIGN|STYLE|deps|domain|peers)\.md\b"  # design notes kept outside the repository
    r"|\bDESIGN\b"
    r"|\b[Ii]ssues? ?#?\d+"  # the tracker's issues
    r"|\b[Ii]ssue's\b|\b[Tt]his issue\b"
    r"|\breference/[\w./-]+"
    r"|\b[Ss]ource[- ](?:article|document)\b"
    r"|\b[Tt]he design's\b"
)
SUFFIXES = {".py", ".html", ".txt", ".md", ".css", ".js", ".sh", ".toml", ".cfg", ".lua", ".po"}
NAMES = {"Makefile", "run"}
SKIP_DIRS = {"var", "node_modules", "__pycache__", "results"}


def _files() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and (d == ".ci" or d[0] != ".")]
        paths = [Path(folder, name) for name in files]
        found += [p for p in paths if (p.suffix in SUFFIXES or p.name in NAMES) and p != THIS]
    return found


def test_no_comment_points_at_a_document_outside_the_repository():
    found = []
    for path in _files():
        text = path.read_text(errors="replace")
        for match in OUTSIDE.finditer(text):
            number = text.count("\n", 0, match.start()) + 1
            line = text.splitlines()[number - 1].strip()
            found.append(f"{path.relative_to(ROOT)}:{number}: {line}")
    assert found == [], "say the rule itself instead:\n" + "\n".join(found)


def test_the_pattern_finds_what_it_is_for():
    for line in [
        "see DESIGN.md for the states",
        "(deps.md §1.2)",
        "a minute only (issue 11).",
        "every row of the issue's table",
        "reference/style-anchors.md",
        "reproducing the source article's figures",
    ]:
        assert OUTSIDE.search(line), line
    for line in ["Public Administration Act § 29: three weeks", "docs/performance.md"]:
        assert not OUTSIDE.search(line), line
