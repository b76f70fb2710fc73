"""The package's module graph: every module imports on its own, and no module imports itself through others."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import n2s_lite

PACKAGE = Path(n2s_lite.__file__).resolve().parent


def package_modules() -> dict:
    """{dotted name: path} of every module of n2s_lite (a package by its __init__.py)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("n2s_lite", *path.relative_to(PACKAGE).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict) -> set:
    """The package modules `name` imports anywhere in its code (a function's imports too: they run when it is
    called). `from .x import y` counts as importing module x.y if there is one, else x."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[:len(parts) - node.level + 1] + [node.module or ""]).strip(".") if node.level \
                else node.module or ""
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return (found & set(modules)) - {name}


def third_party_imports(modules: dict) -> list:
    """The other packages the modules import at their top level (e.g. 'torch', 'scipy.signal')."""
    names = set()
    for path in modules.values():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add(node.module)
    return sorted(name for name in names if name.split(".")[0] not in ("n2s_lite", "__future__"))


def find_cycle(graph: dict) -> list:
    """One cycle [a, b, ..., a] of a {node: set of nodes} graph, or [] if it has none (depth-first search)."""
    state, path = {}, []  # state: 1 on the current path, 2 finished

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_find_cycle_finds_one_and_only_one_that_exists():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]


def test_the_package_imports_no_module_through_itself():
    modules = package_modules()
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    assert {"n2s_lite.autoencoder", "n2s_lite.synth.decoder", "n2s_lite.layers"} <= set(graph)
    assert "n2s_lite.layers" in graph["n2s_lite.synth.decoder"]  # the walk sees relative imports
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " -> ".join(cycle)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child per module")
def test_every_module_imports_alone_in_a_fresh_interpreter():
    """Each module in a child forked from a fresh interpreter that holds no n2s_lite module yet (the other
    packages they import are loaded once before the children fork, so each child imports only n2s_lite code)."""
    modules = package_modules()
    names, others = sorted(modules), third_party_imports(modules)
    script = f"""
import importlib, os, sys
for name in {others!r}:
    try:
        importlib.import_module(name)
    except ImportError:
        pass  # the module that imports it fails below and says why
failed = []
for name in {names!r}:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException as exc:
            print(f"{{name}}: {{type(exc).__name__}}: {{exc}}", flush=True)
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(name)
print("failed:", failed)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("failed: []"), done.stdout
