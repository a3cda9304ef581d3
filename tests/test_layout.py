"""casework is packages by concern, and every package is under the import contract.

A newcomer finds a concern in one folder; the arrows between folders are checked by
``lint-imports``. Both hold only if a new module lands in a package and a new package is
named in the layers contract: a package missing from it would import anything unchecked.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASEWORK = ROOT / "casework"

# The top level keeps what Django and Celery look for by name: the app config, the model
# registry (``casework.models`` re-exports every concern's models) and the task hub.
TOP_LEVEL = {"__init__.py", "apps.py", "models.py", "tasks.py"}
NOT_PYTHON_PACKAGES = {"migrations", "templates", "static", "__pycache__"}


def _layers() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layered = next(c for c in config["contracts"] if c["type"] == "layers")
    names = set()
    for layer in layered["layers"]:
        for part in layer.replace("|", ":").split(":"):
            names.add(part.strip())
    return names


def test_casework_top_level_holds_only_what_django_and_celery_look_for():
    flat = {p.name for p in CASEWORK.glob("*.py")}
    assert flat == TOP_LEVEL, f"move these into a concern package: {sorted(flat - TOP_LEVEL)}"


def test_every_casework_package_is_in_the_layers_contract():
    packages = {
        f"casework.{p.name}"
        for p in CASEWORK.iterdir()
        if p.is_dir() and p.name not in NOT_PYTHON_PACKAGES and (p / "__init__.py").exists()
    }
    layered = _layers()
    assert packages <= layered, f"add to [tool.importlinter] layers: {sorted(packages - layered)}"
    modules = {f"casework.{name[:-3]}" for name in TOP_LEVEL - {"__init__.py"}}
    assert modules <= layered


def test_every_folder_of_python_in_the_apps_is_a_package():
    for app in ("casework", "reception", "integration"):
        for folder in (ROOT / app).rglob("*"):
            if not folder.is_dir() or NOT_PYTHON_PACKAGES & set(folder.parts):
                continue
            if any(folder.glob("*.py")):
                assert (folder / "__init__.py").exists(), f"{folder} has modules but no __init__"
