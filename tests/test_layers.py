"""The layers of the data flow hold: `lint-imports` keeps the contract of pyproject.toml, the contract names
every module of the package, and no two modules import each other — not even from inside a function."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "zhengji_kg"


def _contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return [c for c in config["contracts"] if c["type"] == "layers"]


def _layered(contract: dict) -> set[str]:
    names = set()
    for layer in contract["layers"]:
        names.update(n.strip() for part in layer.split("|") for n in part.split(":"))
    return names


def test_lint_imports_keeps_the_layers() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    res = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Contracts: 2 kept, 0 broken." in res.stdout


def _children(folder: Path, prefix: str) -> set[str]:
    """The modules and packages directly in ``folder`` (a package), as ``prefix.name``."""
    found = {f"{prefix}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"}
    return found | {f"{prefix}.{p.parent.name}" for p in folder.glob("*/__init__.py")}


def test_every_module_has_a_layer() -> None:
    """A new module must be given its place: the contracts check only the modules they name. The tree's
    folders are the layers of the first; every module inside them is ordered by the second (a folder's
    ``__init__`` — the step the layer offers to those above — is the folder's own)."""
    folders, modules = _contracts()
    found = _children(PACKAGE, "zhengji_kg")
    named = _layered(folders)
    assert found == named, f"not in a layer: {sorted(found - named)}; no such module: {sorted(named - found)}"
    ordered = ("cli", "outputs", "pipeline", "kg", "extract", "ingest", "base")
    inner = set().union(*(_children(PACKAGE / f, f"zhengji_kg.{f}") for f in ordered))
    named = _layered(modules)
    assert inner == named, f"not in a layer: {sorted(inner - named)}; no such module: {sorted(named - inner)}"


def _imports() -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports — at its top or inside a
    function, imports for type checking alone left out."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(sub)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for sub in ast.walk(node)
        }
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        out = edges.setdefault(name, set())
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    out.add(target if target in modules else base)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
        edges[name] = {t for t in out if t in modules and t != name}
    return edges


def test_no_two_modules_import_each_other() -> None:
    """No circle of imports, counting those inside functions (an import moved into a function to dodge a
    circle is still one)."""
    edges = _imports()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (circle := visit(nxt)):
                return circle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (circle := visit(start)):
            pytest.fail("a circle of imports: " + " → ".join(circle))


def test_the_check_finds_a_circle(tmp_path: Path, monkeypatch) -> None:
    """The circle check is not vacuous: a module that imports one importing it back is found."""
    fake = tmp_path / "zhengji_kg"
    shutil.copytree(PACKAGE, fake, ignore=shutil.ignore_patterns("__pycache__", "ontology", "queries", "templates"))
    model = fake / "base" / "model.py"
    model.write_text(model.read_text(encoding="utf-8") + "\nfrom zhengji_kg.base import rules\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    with pytest.raises(pytest.fail.Exception, match="a circle of imports"):
        test_no_two_modules_import_each_other()


def test_every_import_of_the_package_resolves() -> None:
    """A name imported from a module of the package — at a module's top or inside a function, in the
    package, its tests and its benchmarks — exists there: an import inside a function fails only when the
    function runs, so a module that moved or a name that left would otherwise wait for a user to find it."""
    import importlib

    missing = []
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "tests").glob("*.py"), *(ROOT / "bench").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("zhengji_kg"):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if not hasattr(module, alias.name):
                        try:
                            importlib.import_module(f"{node.module}.{alias.name}")
                        except ImportError:
                            missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("zhengji_kg"):
                        importlib.import_module(alias.name)
    assert not missing, missing
