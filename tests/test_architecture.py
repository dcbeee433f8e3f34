"""The rules of the house, checked on the source: which room may import which."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
SANDBOX = ROOT / "gitlab_sandbox"

ALLOWED_ROOMS = {
    "playbook": set(),
    "engine": {"playbook"},
    "domain": {"engine", "playbook"},
    "events": {"domain", "engine", "playbook"},
    "report": {"domain", "engine", "playbook"},
    # The adapter reads GitLab into the domain's read model and performs its effects.
    # ... and dates what it reads by the clock it is given (bot/clock.py imports nothing of bot).
    "gitlab": {"engine", "playbook", "domain", "clock"},
}
IO_LIBRARIES = {"fastapi", "starlette", "uvicorn", "typer", "dbos", "gitlab", "httpx", "requests"}
PURE_ROOMS = ("playbook", "domain", "engine", "events", "report")


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def room_files(room: str) -> list[Path]:
    return sorted((BOT / room).rglob("*.py"))


@pytest.mark.parametrize("room", sorted(ALLOWED_ROOMS))
def test_each_room_imports_only_the_rooms_it_may(room: str) -> None:
    for path in room_files(room):
        rooms = {name.split(".")[1] for name in imports_of(path) if name.startswith("bot.")}
        stray = rooms - ALLOWED_ROOMS[room] - {room}
        assert not stray, f"{path.relative_to(BOT.parent)} imports bot.{sorted(stray)}"


@pytest.mark.parametrize("room", PURE_ROOMS)
def test_pure_rooms_do_no_io(room: str) -> None:
    for path in room_files(room):
        libraries = {name.split(".")[0] for name in imports_of(path)}
        assert not libraries & IO_LIBRARIES, f"{path.relative_to(BOT.parent)} imports I/O"


def test_only_the_adapter_and_the_demo_use_python_gitlab() -> None:
    users = {
        str(path.relative_to(BOT))
        for path in BOT.rglob("*.py")
        if any(name.split(".")[0] == "gitlab" for name in imports_of(path))
    }
    outside = {user for user in users if not user.startswith("gitlab/")}
    # The demo plays the people who use GitLab (creating the project, closing issues).
    assert outside == {"demo.py"}


def test_the_sandbox_is_its_own_package_and_imports_nothing_of_the_bot() -> None:
    assert not (BOT / "sandbox").exists()
    files = sorted(SANDBOX.rglob("*.py"))
    assert files
    for path in files:
        assert not any(name == "bot" or name.startswith("bot.") for name in imports_of(path)), path


def test_the_bot_imports_the_sandbox_only_where_people_try_it() -> None:
    users = {
        str(path.relative_to(BOT))
        for path in BOT.rglob("*.py")
        if any(name.split(".")[0] == "gitlab_sandbox" for name in imports_of(path))
    }
    # `psdm-bot sandbox` and `psdm-bot demo` start it; the service never imports it.
    assert users <= {"cli/standin.py", "demo.py"}


def test_the_domain_is_pure_and_imports_only_playbook_and_engine() -> None:
    files = room_files("domain")
    assert files
    for path in files:
        names = imports_of(path)
        rooms = {name.split(".")[1] for name in names if name.startswith("bot.")}
        assert rooms <= {"domain", "engine", "playbook"}, path
        top = {name.split(".")[0] for name in names}
        assert not top & (IO_LIBRARIES | {"sqlalchemy", "structlog", "gitlab_sandbox"}), path


def test_the_adapter_reads_into_the_domain_not_the_report() -> None:
    users = [
        p for p in room_files("gitlab") if any(n.startswith("bot.report") for n in imports_of(p))
    ]
    assert not users
    assert any(any(n.startswith("bot.domain") for n in imports_of(p)) for p in room_files("gitlab"))


ADAPTER = BOT / "gitlab"
KINDS = ADAPTER / "kinds"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def adapter_import_graph() -> dict[str, set[str]]:
    """Each module of bot/gitlab and the modules of bot/gitlab it imports, by name, those under
    `if TYPE_CHECKING:` included (an import circle in spirit is one all the same). The parent
    packages Python runs on the way are not counted: only the imports written."""
    modules = {module_name(path): path for path in ADAPTER.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolved against this module's package
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                edges.add(base)
                edges.update(f"{base}.{alias.name}" for alias in node.names)
        graph[name] = {edge for edge in edges if edge in modules and edge != name}
    return graph


def test_the_adapter_has_no_import_circle() -> None:
    graph = adapter_import_graph()
    assert "bot.gitlab.project" in graph and "bot.gitlab.kinds.labels" in graph
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        circle = " -> ".join(error.args[1])
        raise AssertionError(f"bot/gitlab imports in a circle: {circle}") from None


def test_a_circle_in_the_adapter_would_be_seen() -> None:
    graph = adapter_import_graph()
    graph["bot.gitlab.kinds.labels"].add("bot.gitlab.project")  # a store reaching for the port
    with pytest.raises(CycleError):
        tuple(TopologicalSorter(graph).static_order())


def methods_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    classes = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    return {item.name for cls in classes for item in cls.body if isinstance(item, ast.FunctionDef)}


@pytest.mark.parametrize(
    "kind",
    sorted(
        path.stem
        for path in (BOT / "engine" / "reconcilers").glob("*.py")
        if path.stem not in ("__init__", "base")
    ),
)
def test_each_engine_reconciler_has_its_adapter_store_that_reads_and_writes(kind: str) -> None:
    module = KINDS / f"{kind}.py"
    files = [module] if module.exists() else sorted((KINDS / kind).glob("*.py"))
    assert files, f"bot/engine/reconcilers/{kind}.py has no adapter module in bot/gitlab/kinds/"
    methods = set().union(*(methods_of(path) for path in files))
    assert {"read", "write"} <= methods, f"the {kind} store must read and write its kind"
    assert not any(
        name.startswith("bot.gitlab.project") for path in files for name in imports_of(path)
    ), f"the {kind} store imports the port instead of receiving a ProjectContext"


def test_no_test_module_imports_another() -> None:
    """Shared fixtures and helpers live in support modules (conftest, harness, world, ...), so
    a test module can be read, run and changed on its own."""
    tests = Path(__file__).resolve().parent
    importing = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in sorted(tests.rglob("*.py"))
        if (
            found := {
                name
                for name in imports_of(path)
                if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")
            }
        )
    }
    assert importing == {}
