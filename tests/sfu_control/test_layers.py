"""sfu_control's layers, read from the sources: wire/ knows no domain module, and the
app and the benchmarks use the package's public ``__init__`` only."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """The absolute module names ``path`` imports, with their lines."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = node.module or ""
            if node.level:
                module = ".".join([*base, *([module] if module else [])])
            yield module, node.lineno


def test_wire_imports_nothing_of_the_domain() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} {module}"
        for path in sorted((ROOT / "sfu_control" / "wire").glob("*.py"))
        for module, line in _imports(path)
        if module.startswith("sfu_control")
        and not module.startswith(("sfu_control.wire", "sfu_control.errors"))
    ]
    assert wrong == []


def test_the_app_and_benchmarks_import_sfu_control_s_package_only() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} {module}"
        for folder in ("app", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for module, line in _imports(path)
        if module.startswith("sfu_control.")
    ]
    assert wrong == []
