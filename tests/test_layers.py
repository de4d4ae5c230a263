"""The shape of hotline/: no import cycle between modules, and every import points down the
layers of ARCHITECTURE.md. The import graph is read from the source with ast (every import
statement, also those inside functions: a lazy import is still an arrow), not by importing.

The rule for models (docs/decisions.md, "Layers and model reads"): ARCHITECTURE lets an app
read another app's models, so an import of another app's `models` module is allowed whatever
its layer; every other import from a lower layer to a higher one is a design error. A read of
models still may not close a cycle: the cycle check counts every arrow.

What could not be fixed yet is listed below with its reason, so that a new violation fails."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hotline"

# Top to bottom (ARCHITECTURE.md), with a place for the packages it does not name. An app may
# import from its own layer and the ones below.
LAYERS = [
    # The project: URLs, the root API, settings, the command line, the servers' entries.
    # apipath: the middleware list's browser parts, skipped for bearer API requests.
    # compress: the middleware that gzips pages and htmx fragments.
    {"urls", "api", "settings", "cli", "asgi", "wsgi", "apipath", "compress"},
    # What answers requests: pages, reports, the citizen portal; Open311 (a channel beside the
    # portal), the health report, request throttling, the NUL guard and the audit of who viewed
    # what.
    {"web", "reports", "portal", "open311", "health", "throttle", "parsing", "audit"},
    {"analytics", "evaluation", "quality", "topics"},
    {"incidents"},
    {"calls"},
    {"supervision", "exchange", "routing", "knowledge"},
    {"tickets"},
    {"screening"},
    # Real-time push is infrastructure any app above may publish to; it reads org units only.
    {"catalog", "realtime"},
    {"identity"},
    {"orgs"},
    # Foundations: no app of the product below them.
    # crypto: SM4 fields and HMAC-SM3 hashes of citizens' data, under the tickets' models.
    # modelfiles: atomic deploy of the routing and reply-review model files.
    {"errors", "text", "forking", "ops", "dbrouter", "dburl", "pgcheck", "officedoc", "crypto"}
    | {"modelfiles"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}

# Upward imports not fixed yet: (importer, imported) -> why it is still there.
KNOWN_UPWARD = {
    ("hotline.screening.api", "hotline.tickets.api"): (
        "screening's endpoints reuse the ticket lookup in scope (_get); to move into "
        "orgs.scope or a shared lookup below both (issue 20, shape)"
    ),
    ("hotline.tickets.demo", "hotline.knowledge.demo"): (
        "the demo province builds the knowledge base with the tickets; the demo belongs "
        "in a command above both (issue 20, shape)"
    ),
    ("hotline.analytics.views", "hotline.web.common"): (
        "analytics pages use the web shell's page helpers (role_required); to move the "
        "helpers below analytics (issue 20, shape)"
    ),
    ("hotline.calls.callback_views", "hotline.web.common"): "the same page helpers as above",
    ("hotline.calls.views", "hotline.web.common"): "the same page helpers as above",
    ("hotline.calls.wallboard_views", "hotline.web.common"): "the same page helpers as above",
    ("hotline.calls.views", "hotline.web.intake"): (
        "the agent desk embeds the workbench's intake form; the form belongs below calls"
    ),
    ("hotline.screening.board", "hotline.tickets.guards"): (
        "the review board reuses the ticket input checks (text); they belong in errors/text"
    ),
}
# Cycles not broken yet: the modules of each, and why.
KNOWN_CYCLES: dict[frozenset, str] = {}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module(p): p
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts and "__pycache__" not in p.parts
    }


def _resolve(name: str, modules) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """module -> the hotline modules it imports (a `from package import name` that names a
    submodule points at the submodule, else at the package)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {_resolve(a.name, modules) for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                if not base.startswith("hotline"):
                    continue
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    found.add(sub if sub in modules else _resolve(base, modules))
        graph[name] = {m for m in found if m and m.startswith("hotline") and m != name}
    return graph


def _place(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(graph) -> list[frozenset]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def upward(graph) -> list[tuple[str, str]]:
    """Imports from a lower layer to a higher one, other than reads of another app's models."""
    wrong = []
    for importer, imported in sorted((a, b) for a, found in graph.items() for b in found):
        low, high = _place(importer), _place(imported)
        if low == high or high == "__init__":
            continue
        reads_models = imported.split(".")[2:3] == ["models"]
        if RANK[high] < RANK[low] and not reads_models:
            wrong.append((importer, imported))
    return wrong


def test_every_package_of_hotline_has_a_layer():
    # Given the packages and top-level modules of hotline/
    places = {_place(m) for m in _modules()} - {"__init__"}
    # Then each has a place in LAYERS (a new one must be given its place)
    assert sorted(places - set(RANK)) == []


def test_no_import_cycle_between_modules():
    # Given the import graph of hotline/
    graph = import_graph()
    # When its cycles are found
    found = cycles(graph)
    # Then there are none but the known ones
    assert sorted(sorted(c) for c in found if c not in KNOWN_CYCLES) == []
    assert [sorted(c) for c in KNOWN_CYCLES if c not in found] == []


def test_imports_point_down_the_layers():
    # Given the import graph of hotline/
    graph = import_graph()
    # When the imports from a lower layer to a higher one are listed
    wrong = upward(graph)
    # Then there are none but the known ones, and each known one is still there
    assert [pair for pair in wrong if pair not in KNOWN_UPWARD] == []
    assert sorted(set(KNOWN_UPWARD) - set(wrong)) == []


def test_the_checks_see_a_cycle_and_an_upward_import():
    # Given a made-up graph: orgs and tickets import each other, orgs imports web's views
    graph = {
        "hotline.orgs.scope": {"hotline.tickets.lifecycle", "hotline.web.views"},
        "hotline.tickets.lifecycle": {"hotline.orgs.scope"},
        "hotline.screening.services": {"hotline.tickets.models"},
        "hotline.web.views": set(),
        "hotline.tickets.models": set(),
    }
    # Then the cycle and both arrows up are found, and the read of models is not
    assert cycles(graph) == [frozenset({"hotline.orgs.scope", "hotline.tickets.lifecycle"})]
    assert upward(graph) == [
        ("hotline.orgs.scope", "hotline.tickets.lifecycle"),
        ("hotline.orgs.scope", "hotline.web.views"),
    ]
