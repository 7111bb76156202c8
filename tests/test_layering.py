"""The package layering holds: imports go one way, no private name crosses a module, no module cycle.

Layers, lowest first: numbers → problem → engine → runs → derive → render → checker → cli. A module may import
from its own layer and the layers below, never above; imports inside functions count. The foundation modules
(``symback.errors``; ``symback.display``, the one documented hook by which a result reaches up to rendering)
import nothing of symback; the facade (``symback`` itself, ``symback.exercises``, ``symback.__main__``) may
import anything. The checks read the source with ``ast``, so they see every import, wherever it is written.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

LAYERS = ("numbers", "problem", "engine", "runs", "derive", "render", "checker", "cli")
FOUNDATION = ("symback.errors", "symback.display")
FACADE = ("symback", "symback.exercises", "symback.__main__")
PACKAGE = Path(__file__).resolve().parent.parent / "symback"


def modules(package: Path) -> dict[str, Path]:
    """Every module below ``package`` by its dotted name (``symback.engine.passes``)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) for every import of a symback module in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names if alias.name.split(".")[0] == "symback"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "symback":
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.append((node.lineno, submodule, None) if submodule in known else (node.lineno, target, alias.name))
    return found


def layer(module: str) -> int | None:
    """The layer's position for a module in a layer; None for the foundation and the facade."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def problems(package: Path) -> list[str]:
    """Every breach of the layering in ``package``: upward imports, private names, module cycles."""
    known = modules(package)
    found, graph = [], {name: set() for name in known}
    for name, path in known.items():
        where = layer(name)
        for line, target, imported in imports(name, path, known):
            if target not in known:
                found.append(f"{path.name}:{line}: imports {target}, which is not a module of symback")
                continue
            graph[name].add(target)
            if name in FOUNDATION:
                found.append(f"{name}:{line}: a foundation module imports {target}")
            elif where is not None and target not in FOUNDATION:
                if layer(target) is None or layer(target) > where:
                    found.append(f"{name}:{line}: imports {target} from a layer above ({LAYERS[where]})")
            if imported and imported.startswith("_") and not imported.startswith("__"):
                found.append(f"{name}:{line}: imports the private name {imported} of {target}")
    found += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules (Tarjan), packages' own __init__ included."""
    index, low, stack, on_stack, groups, counter = {}, {}, [], set(), [], [0]

    def visit(node):  # recursion depth is bounded by the number of modules (about a hundred)
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    start, members = group[0], set(group)
    path, seen = [start], {start}
    while True:
        following = sorted(graph[path[-1]] & members)
        step = next((m for m in following if m == start and len(path) > 1), None) or \
            next((m for m in following if m not in seen), following[0])
        path.append(step)
        if step in seen:
            return path[path.index(step):]
        seen.add(step)


def test_symback_keeps_its_layering():
    assert problems(PACKAGE) == []


def test_every_layer_is_a_package():
    for name in LAYERS:
        assert (PACKAGE / name / "__init__.py").is_file(), name


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = tmp_path / "symback" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for name in LAYERS:
        (tmp_path / "symback" / name).mkdir(exist_ok=True)
        (tmp_path / "symback" / name / "__init__.py").touch()
    (tmp_path / "symback" / "__init__.py").touch()
    return tmp_path / "symback"


@pytest.mark.parametrize("source, expected", [
    ("from ..render.sheet import Sheet\n", "imports symback.render.sheet from a layer above (engine)"),
    ("def later():\n    from ..checker import mark\n", "imports symback.checker.mark from a layer above (engine)"),
    ("import symback.cli.main\n", "imports symback.cli.main from a layer above (engine)"),
    ("from ..numbers.parse import _private\n", "imports the private name _private of symback.numbers.parse"),
    ("from .passes import later\n", "import cycle: symback.engine.graph -> symback.engine.passes -> symback.engine.graph"),
])
def test_the_check_finds_each_kind_of_breach(tmp_path, source, expected):
    package = _tree(tmp_path, {
        "numbers/parse.py": "def _private(): pass\n",
        "render/sheet.py": "class Sheet: pass\n",
        "checker/mark.py": "",
        "cli/main.py": "",
        "engine/passes.py": "from .graph import x\n\ndef later(): pass\n",
        "engine/graph.py": "x = 1\n" + source,
    })
    assert any(expected in line for line in problems(package)), problems(package)


def test_a_lower_layer_and_the_foundation_may_be_imported(tmp_path):
    package = _tree(tmp_path, {
        "errors.py": "class SymbackError(Exception): pass\n",
        "numbers/parse.py": "from ..errors import SymbackError\n",
        "engine/graph.py": "from ..numbers.parse import SymbackError\nfrom ..errors import SymbackError as E\n",
        "cli/main.py": "from ..engine import graph\n",
    })
    assert problems(package) == []


def test_every_package_is_shipped_in_the_wheel():
    """pyproject.toml names the packages one by one (the templates folder is mapped in beside them): a package
    left out installs a symback that fails on import (a checkout's tests would not notice)."""
    import tomllib

    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = set(pyproject["tool"]["setuptools"]["packages"])
    packages = {name for name, path in modules(PACKAGE).items() if path.name == "__init__.py"}
    assert packages <= shipped, sorted(packages - shipped)
