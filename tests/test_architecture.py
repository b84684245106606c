"""The house keeps its shape: imports run down the floors of docs/architecture.md, the
algorithms stay pure, and only ``storage/`` (and the web's named queries) writes SQL.

Read from the source with ``ast``, so an import inside a function counts as much as one at
the top of a module, and a test can point at the file and line that broke the rule.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first; a package imports only packages on lower floors. Packages sharing a floor
# do not import each other.
FLOORS = [
    {"analysis"},
    {"storage"},
    {"crawler", "flagging"},
    {"scheduler", "scan"},
    {"readouts"},
]
FLOOR = {package: level for level, packages in enumerate(FLOORS) for package in packages}

# Libraries that would tie an algorithm to a database or to Scrapy.
IMPURE = {"sqlite3", "sqlite_utils", "scrapy", "twisted", "datasette"}

# The places allowed to hold SQL: storage/, and the canned queries Datasette offers users.
SQL_OWNERS = ("storage/", "readouts/web/canned.py")
SQL = re.compile(
    r"\bSELECT\b[\s\S]*?\bFROM\b|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b|\bREPLACE\s+INTO\b"
    r"|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\bCREATE\s+(?:TABLE|INDEX|VIEW|TRIGGER)\b"
    r"|\bDROP\s+(?:TABLE|INDEX|VIEW|TRIGGER)\b|\bALTER\s+TABLE\b|\bPRAGMA\s+\w+"
)
# sqlite-utils' table API writes and reads SQL too: db["table"].insert(...), db.table(...).
TABLE_METHODS = {
    "insert", "insert_all", "upsert", "upsert_all", "update", "delete", "delete_where",
    "rows_where", "lookup", "get", "count", "create", "transform", "add_column",
}  # fmt: skip


def modules() -> list[tuple[str, Path, ast.Module]]:
    found = []
    for package in FLOOR:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            found.append((relative, path, ast.parse(path.read_text(encoding="utf-8"), relative)))
    return found


def imported(tree: ast.Module) -> list[tuple[int, str]]:
    """Every absolute import in a module, wherever it sits, as (line, module name)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
    return names


def package_edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for relative, _, tree in modules():
        here = relative.split("/")[0]
        for line, name in imported(tree):
            there = name.split(".")[0]
            if there in FLOOR and there != here:
                edges.setdefault((here, there), []).append(f"{relative}:{line} imports {name}")
    return edges


def test_imports_run_down_the_floors():
    upward = [
        where
        for (here, there), places in package_edges().items()
        if FLOOR[there] >= FLOOR[here]
        for where in places
    ]
    assert not upward, "imports that run up or sideways:\n" + "\n".join(upward)


def test_packages_import_each_other_without_a_cycle():
    graph: dict[str, set[str]] = {package: set() for package in FLOOR}
    for here, there in package_edges():
        graph[here].add(there)
    done: set[str] = set()

    def visit(package: str, path: list[str]) -> None:
        if package in path:
            cycle = path[path.index(package) :] + [package]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if package in done:
            return
        for there in sorted(graph[package]):
            visit(there, path + [package])
        done.add(package)

    for package in sorted(graph):
        visit(package, [])


def test_algorithms_touch_no_database_and_no_scrapy():
    impure = [
        f"{relative}:{line} imports {name}"
        for relative, _, tree in modules()
        if relative.startswith("analysis/")
        for line, name in imported(tree)
        if name.split(".")[0] in IMPURE
    ]
    assert not impure, "analysis/ must stay pure:\n" + "\n".join(impure)


def _names_a_database(node: ast.expr) -> bool:
    """``db``, ``self.db``, ``state.db``, ``database``: what a sqlite-utils table hangs off
    (``row["metadata"].get(…)`` is a dict's ``get``)."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in ("db", "database") or name.endswith("_db")


def sql_outside_storage() -> list[str]:
    found = []
    for relative, _, tree in modules():
        if relative.startswith(SQL_OWNERS):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = SQL.search(node.value)
                if match:
                    found.append(f"{relative}:{node.lineno} {match.group()[:60]!r}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = node.func.value
                named = (  # db["table"].insert(...)
                    isinstance(target, ast.Subscript)
                    and _names_a_database(target.value)
                    and isinstance(target.slice, ast.Constant)
                    and isinstance(target.slice.value, str)
                    and node.func.attr in TABLE_METHODS
                )
                opened = (  # db.table("table", ...)
                    node.func.attr == "table"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                )
                if named or opened or node.func.attr in ("executescript", "executemany"):
                    found.append(f"{relative}:{node.lineno} {ast.unparse(node)[:60]}")
    return found


def test_sql_is_written_only_in_storage_and_the_named_queries():
    found = sql_outside_storage()
    assert not found, "SQL outside storage/ (move it into a storage function):\n" + "\n".join(found)


def test_the_sql_detector_sees_queries_and_ignores_prose():
    assert SQL.search("SELECT id FROM documents WHERE id = ?")
    assert SQL.search("insert or ignore into flags (key) values (?)".upper())
    assert SQL.search("UPDATE flags SET summary = ?")
    assert SQL.search("DELETE FROM changes WHERE id = ?")
    assert not SQL.search("Select the readouts a spider found, then read them from the list")
    assert not SQL.search("only flags of this kind")
