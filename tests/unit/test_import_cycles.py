"""No two modules of redis_tui import each other, directly or round about.

import-linter's ``acyclic_siblings`` contract (pyproject.toml) checks packages against their
siblings; this checks every module against every other one, lazy imports included.
"""

from __future__ import annotations

import itertools

import grimp

# Cycles allowed to remain: none. A cycle listed here would not fail the test.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def strongly_connected(graph: grimp.ImportGraph) -> list[frozenset[str]]:
    """Tarjan's algorithm over redis_tui's modules: the components of more than one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component: set[str] = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def describe(graph: grimp.ImportGraph, component: frozenset[str]) -> str:
    """One round trip through ``component``, with the lines that import."""
    first = min(component)
    lines = [f"cycle of {len(component)} modules: {', '.join(sorted(component))}"]
    for source in sorted(component - {first}):
        for a, b in ((first, source), (source, first)):
            chain = graph.find_shortest_chain(importer=a, imported=b) or ()
            for importer, imported in itertools.pairwise(chain):
                details = graph.get_import_details(importer=importer, imported=imported)
                where = ", ".join(f"line {d['line_number']}" for d in details)
                lines.append(f"  {importer} -> {imported} ({where})")
    return "\n".join(lines)


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph("redis_tui", cache_dir=None)
    assert "redis_tui.cli.common" in graph.modules  # the package under test, not another
    new = [c for c in strongly_connected(graph) if c not in KNOWN_CYCLES]
    assert not new, "import cycles:\n" + "\n".join(describe(graph, c) for c in new)
