"""The code map's contract (README, "Code map"): imports only point down.

Read from the sources with ``ast`` (no import runs), so a violation fails here whatever
the tests exercise. Imports inside functions and under ``TYPE_CHECKING`` count too.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# app's layers, bottom to top. A module may import the modules of its own layer and of the
# layers below it, never those above. Several packages on one line are one layer.
APP_LAYERS: list[tuple[str, ...]] = [
    ("app.config",),
    ("app.errors", "app.input_guard"),
    ("app.persistence",),
    ("app.realtime",),
    ("app.services",),
    ("app.media",),
    ("app.runtime",),
    ("app.http",),
    ("app.ws",),
    ("app.server",),
    ("app.cli",),
]
# What each top-level package beside app may import of the others (never app).
LIBRARY_IMPORTS: dict[str, set[str]] = {
    "sfu_control": set(),
    "protoo": set(),
    "station": {"protoo"},
}
# Top-level folders that are not packages of the product.
NOT_PACKAGES = {"tests", "bench", "migrations", "web", "worker", "scripts", "docs", "config"}


def _prefix_of(name: str, prefixes: tuple[str, ...]) -> str | None:
    matches = [p for p in prefixes if name == p or name.startswith(p + ".")]
    return max(matches, key=len, default=None)


def _layer(name: str) -> int | None:
    """The layer of the module (or module attribute) ``name``; None outside the layers."""
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, packages in enumerate(APP_LAYERS):
        prefix = _prefix_of(name, packages)
        if prefix is not None and (best is None or len(prefix) > best[0]):
            best = (len(prefix), index)
    return None if best is None else best[1]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str | None = None) -> Iterator[tuple[int, str]]:
    """``(line, dotted name)`` of everything ``path`` (the module ``module``, by default its
    own name) imports; ``from m import x`` gives ``m.x``, so that a submodule imported that
    way is named in full."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _libraries() -> list[str]:
    """Every top-level package beside app: sfu_control, and protoo/ and station/ once they
    exist. They sit below app and import nothing of it."""
    return sorted(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"app", *NOT_PACKAGES} and not path.parent.name.startswith(".")
    )


def _is_app(name: str) -> bool:
    return name == "app" or name.startswith("app.")


def test_app_imports_point_down() -> None:
    violations = []
    for path in _sources("app"):
        module = _module_name(path)
        if module == "app":
            continue
        layer = _layer(module)
        if layer is None:
            violations.append(f"{module}: in no layer (add its folder to APP_LAYERS)")
            continue
        for line, name in _imports(path):
            if not _is_app(name):
                continue
            target = _layer(name)
            if target is None:
                violations.append(f"{module}:{line} imports {name}, which is in no layer")
            elif target > layer:
                violations.append(
                    f"{module}:{line} ({APP_LAYERS[layer][0]}) imports {name} "
                    f"({APP_LAYERS[target][0]}, a higher layer)"
                )
    assert not violations, "\n".join(violations)


def test_libraries_import_nothing_of_app() -> None:
    libraries = _libraries()
    assert "sfu_control" in libraries
    violations = [
        f"{_module_name(path)}:{line} imports {name}"
        for library in libraries
        for path in _sources(library)
        for line, name in _imports(path)
        if _is_app(name)
    ]
    assert not violations, "\n".join(violations)


def test_libraries_import_only_what_they_may_of_each_other() -> None:
    libraries = _libraries()
    assert set(LIBRARY_IMPORTS) <= set(libraries), "a library of the map is gone"
    violations = [
        f"{_module_name(path)}:{line} imports {name}"
        for library in libraries
        for path in _sources(library)
        for line, name in _imports(path)
        if (other := name.partition(".")[0]) in libraries
        and other != library
        and other not in LIBRARY_IMPORTS.get(library, set())
    ]
    assert not violations, "\n".join(violations)


def test_the_checker_reads_imports_as_written(tmp_path: Path) -> None:
    """Relative and ``from`` imports are named in full, and placed in the right layer."""
    source = tmp_path / "probe.py"
    source.write_text("from . import stats\nfrom ..http.auth import x\nimport app.ws.hub\n")
    names = [name for _, name in _imports(source, "app.services.probe")]
    assert names == ["app.services.stats", "app.http.auth.x", "app.ws.hub"]
    assert _layer("app.http.auth.x") == _layer("app.http") > _layer("app.services.stats")  # type: ignore[operator]
    assert _layer("app.ws.hub") > _layer("app.realtime.peer")  # type: ignore[operator]
