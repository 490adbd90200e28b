"""The shape of the package: imports follow the data flow (no cycles), front ends hold no index internals."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "qa"
FRONT_ENDS = {"cli", "web"}


def imports_of(path: Path) -> set[str]:
    """The qa modules a file imports, anywhere in it (function-local and TYPE_CHECKING imports included)."""
    found: set[str] = set()
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "qa":
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("qa.")}
    return found - {"__init__", path.stem}


def graph() -> dict[str, set[str]]:
    return {p.stem: imports_of(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def walk(m: str, stack: list[str]) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                found.append(stack[stack.index(d):] + [d])
            elif not state.get(d):
                walk(d, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if not state.get(m):
            walk(m, [])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_the_package():
    assert cycles(graph()) == []


def test_the_core_never_imports_a_front_end():
    g = graph()
    assert {m: sorted(ds & FRONT_ENDS) for m, ds in g.items() if m not in FRONT_ENDS and ds & FRONT_ENDS} == {}


def test_front_ends_hold_no_index_internals():
    """cli, web and app call the core's API; they never read the manifest or the store's files."""
    for path in [PACKAGE / "cli.py", PACKAGE / "web.py", ROOT / "app.py"]:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"manifest|\bstore\b|CURRENT|\bsnapshot\b", source), path.name
        assert not imports_of(path) & {"store", "snapshot", "dense", "lexical", "indexing", "answering"}, path.name


def test_readme_lists_every_module_in_data_flow_order():
    """The README's module table lists every module, and each module imports only modules listed before it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| module | does |"):]
    table = table[: table.index("\n\n")]
    order = [m for line in table.splitlines()[2:] for m in re.findall(r"qa/(\w+)\.py", line.split("|")[1])]
    g = graph()
    assert sorted(order) == sorted(g)
    rank = {m: i for i, m in enumerate(order)}
    upward = {m: sorted(d for d in ds if rank[d] > rank[m]) for m, ds in g.items()}
    assert {m: ds for m, ds in upward.items() if ds} == {}
