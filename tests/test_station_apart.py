"""The station is a program of its own: the service imports none of its libraries, and
neither ``protoo`` nor ``station`` imports the service."""

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The station extra's libraries: the service runs without them installed (httpx is both's:
# the service posts its webhooks with it).
STATION_ONLY = {"pyudev", "aiortc", "pymediasoup", "websockets", "station"}


def imported(package: str) -> Iterator[tuple[Path, str]]:
    """Each module ``package``'s files import (``from . import`` aside), top-level name only;
    lazy imports inside functions count too."""
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield path.relative_to(ROOT), name.partition(".")[0]


@pytest.mark.parametrize("package", ["app", "sfu_control"])
def test_the_service_needs_no_station_library(package: str):
    allowed = {Path("app/cli/main.py"): {"station"}}  # the ``hocovisio station`` alias, lazily
    found = [
        (str(path), name)
        for path, name in imported(package)
        if name in STATION_ONLY and name not in allowed.get(path, set())
    ]
    assert found == []


@pytest.mark.parametrize("package", ["protoo", "station"])
def test_protoo_and_the_station_do_not_import_the_service(package: str):
    found = [(str(path), name) for path, name in imported(package) if name == "app"]
    assert found == []


def test_the_alias_imports_the_station_only_when_run():
    tree = ast.parse((ROOT / "app" / "cli" / "main.py").read_text())
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    assert all("station" not in ast.unparse(node) for node in top_level)


def test_the_service_imports_with_the_station_libraries_missing():
    """Every module of ``app`` imports in a Python where the station's libraries are absent."""
    blocked = sorted(STATION_ONLY - {"station"})
    script = (
        "import importlib, pkgutil, sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "import app\n"
        "for module in pkgutil.walk_packages(app.__path__, 'app.'):\n"
        "    if not module.name.endswith('.__main__'):\n"
        "        importlib.import_module(module.name)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
