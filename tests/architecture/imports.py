"""The house's shape as a check: which module may import which, and where rounding lives.

`house_check(root)` reads every `.py` file of the app packages under `root` (see
`docs/architecture.md`), resolves each import statement (module level and inside functions,
`import a.b`, `from a import b` where `b` may be a submodule, relative imports) to the
project's own modules, and returns one `Finding` per breach of a rule. It only parses the
files (`ast`); nothing is imported, so a broken tree can still be checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# Lowest layer first: a module may import its own app or an app to its left, never one to
# its right.
LAYERS = (
    "kalipxo",
    "artists",
    "streams",
    "fx",
    "ledger",
    "deductions",
    "payouts",
    "payments",
    "messaging",
    "accounts",
    "frontend",
    "demo",
)
DEMO = "demo"
MONEY_MODULE = "kalipxo.money"
MAX_LINES = 400
LONG_MARK = "Long because:"
ROUNDING_METHODS = frozenset({"quantize", "to_integral_value", "to_integral", "to_integral_exact"})
ROUNDING_CONTEXTS = frozenset({"Context", "localcontext"})

LAYERS_RULE = "layers"
CYCLE_RULE = "no-cycles"
DEMO_RULE = "nothing-imports-demo"
TASKS_RULE = "tasks-import-tasks"
LOCAL_RULE = "no-local-import"
ROUNDING_RULE = "rounding-in-money"
SIZE_RULE = "module-size"
RULES = (LAYERS_RULE, CYCLE_RULE, DEMO_RULE, TASKS_RULE, LOCAL_RULE, ROUNDING_RULE, SIZE_RULE)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    relpath: str
    is_package: bool

    @property
    def app(self) -> str:
        return self.name.split(".")[0]

    @property
    def is_migration(self) -> bool:
        return "migrations" in self.name.split(".")[1:]


@dataclass(frozen=True)
class Import:
    """One imported name: `target` is the dotted name imported, `module` the project module
    it resolves to (None when nothing in the tree has that name)."""

    source: Module
    line: int
    target: str
    module: str | None
    local: bool


def app_modules(root: Path, apps: Iterable[str] = LAYERS) -> dict[str, Module]:
    """Every module of the app packages that exist under root, by dotted name."""
    modules: dict[str, Module] = {}
    for app in apps:
        base = root / app
        if not (base / "__init__.py").is_file():
            continue
        for path in sorted(base.rglob("*.py")):
            # Migration files (0001_initial.py) are not importable names, but they are read.
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            name = ".".join(parts)
            modules[name] = Module(name, path, path.relative_to(root).as_posix(), is_package)
    return modules


def _resolve(name: str, modules: dict[str, Module]) -> str | None:
    """The longest prefix of a dotted name that is a project module."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _base_of(module: Module, level: int) -> str:
    """The package a relative import of `level` dots starts from."""
    parts = module.name.split(".")
    if not module.is_package:
        parts.pop()
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts)


def _is_app_config(node: ast.ClassDef) -> bool:
    for base in node.bases:
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        if name == "AppConfig":
            return True
    return False


ImportNode = tuple[ast.Import | ast.ImportFrom, bool, bool]


def _import_nodes(tree: ast.Module) -> Iterator[ImportNode]:
    """Every import statement with (node, inside a function, inside an AppConfig.ready)."""

    def walk(node: ast.AST, in_function: bool, in_ready: bool, in_config: bool) -> Iterator[ImportNode]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function, in_ready
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, in_function, in_ready, _is_app_config(child))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                ready = in_ready or (in_config and not in_function and child.name == "ready")
                yield from walk(child, True, ready, False)
            else:
                yield from walk(child, in_function, in_ready, in_config)

    yield from walk(tree, False, False, False)


def module_imports(module: Module, tree: ast.Module, modules: dict[str, Module]) -> list[Import]:
    """What one module imports, each name resolved to a project module where there is one."""
    found: list[Import] = []
    for node, in_function, in_ready in _import_nodes(tree):
        # Django wants signal and lookup registration in AppConfig.ready: the one local import.
        local = in_function and not in_ready
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                package = _base_of(module, node.level)
                base = f"{package}.{base}" if base and package else (base or package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}" if base else alias.name
                names.append(submodule if alias.name != "*" and submodule in modules else base)
        for name in names:
            if name.split(".")[0] in LAYERS:
                found.append(Import(module, node.lineno, name, _resolve(name, modules), local))
    return found


def _layer_findings(imp: Import) -> Iterator[Finding]:
    source_app, target_app = imp.source.app, imp.target.split(".")[0]
    where = (imp.source.relpath, imp.line)
    if target_app == DEMO and source_app != DEMO:
        yield Finding(
            *where,
            DEMO_RULE,
            f"imports {imp.target}; nothing outside demo/ may import the demo data: move what is "
            "shared down into the app that owns it.",
        )
    elif LAYERS.index(target_app) > LAYERS.index(source_app):
        yield Finding(
            *where,
            LAYERS_RULE,
            f"{source_app} imports {imp.target}, a higher layer ({target_app}); move the code it "
            f"needs down to {source_app} or below, or move this code up to {target_app}.",
        )
    target = imp.module or imp.target
    if target.split(".")[-1] == "tasks" and imp.source.name.split(".")[-1] != "tasks":
        yield Finding(
            *where,
            TASKS_RULE,
            f"imports {target}; only tasks.py modules import task modules: enqueue by the "
            "task's stable name (its @shared_task name) instead.",
        )
    if imp.local:
        yield Finding(
            *where,
            LOCAL_RULE,
            f"imports {imp.target} inside a function; import it at the top of the module, and if "
            "that makes a cycle, move the shared code so that the cycle goes away.",
        )


def _rounding_findings(module: Module, tree: ast.Module) -> list[Finding]:
    """One finding per line that rounds (a line often both quantizes and names a ROUND_*)."""
    by_line: dict[int, Finding] = {}
    for finding in _rounding_uses(module, tree):
        by_line.setdefault(finding.line, finding)
    return list(by_line.values())


def _rounding_uses(module: Module, tree: ast.Module) -> Iterator[Finding]:
    where = module.relpath
    hint = f"move the rounding into {MONEY_MODULE.replace('.', '/')}.py and call it from there."
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr in ROUNDING_METHODS:
            yield Finding(where, line, ROUNDING_RULE, f"calls .{node.attr}; {hint}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("ROUND_"):
            yield Finding(where, line, ROUNDING_RULE, f"uses {node.attr}; {hint}")
        elif isinstance(node, ast.Name) and node.id.startswith("ROUND_"):
            yield Finding(where, line, ROUNDING_RULE, f"uses {node.id}; {hint}")
        elif isinstance(node, ast.alias) and node.name.split(".")[-1].startswith("ROUND_"):
            yield Finding(where, line, ROUNDING_RULE, f"imports {node.name}; {hint}")
        elif isinstance(node, ast.Call) and any(k.arg == "rounding" for k in node.keywords):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ROUNDING_CONTEXTS:
                yield Finding(where, line, ROUNDING_RULE, f"makes a decimal {name}(rounding=...); {hint}")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "rounding" for t in targets):
                yield Finding(where, line, ROUNDING_RULE, f"sets a decimal context's rounding; {hint}")


def _size_finding(module: Module, text: str, tree: ast.Module) -> Iterator[Finding]:
    lines = len(text.splitlines())
    if module.is_migration or lines <= MAX_LINES:
        return
    docstring = ast.get_docstring(tree) or ""
    if any(line.strip().startswith(LONG_MARK) for line in docstring.splitlines()):
        return
    yield Finding(
        module.relpath,
        1,
        SIZE_RULE,
        f"{lines} lines (limit {MAX_LINES}); split it by job, or say why one module is right "
        f"in a module docstring line starting '{LONG_MARK}'.",
    )


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path that returns to its start) per strongly connected component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        # Recursive Tarjan: the module graph is a few hundred nodes, far from the limit.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                connect(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)

    cycles = []
    for component in sorted(components):
        members, start = set(component), component[0]
        # Breadth-first from start to the shortest way back to it, inside the component.
        previous: dict[str, str] = {}
        frontier, seen, end = [start], {start}, None
        while frontier and end is None:
            following = []
            for node in frontier:
                for succ in sorted(graph[node] & members):
                    if succ == start:
                        end = node
                        break
                    if succ not in seen:
                        seen.add(succ)
                        previous[succ] = node
                        following.append(succ)
                if end is not None:
                    break
            frontier = following
        assert end is not None, component
        path = [end]
        while path[-1] != start:
            path.append(previous[path[-1]])
        cycles.append([*reversed(path), start])
    return cycles


def house_check(root: Path, apps: Iterable[str] = LAYERS) -> list[Finding]:
    """Every breach of the house's rules in the app packages under root, sorted."""
    modules = app_modules(root, apps)
    findings: list[Finding] = []
    graph: dict[str, set[str]] = {name: set() for name in modules}
    first_line: dict[tuple[str, str], int] = {}
    for module in modules.values():
        text = module.path.read_text(encoding="utf-8")
        tree = ast.parse(text, filename=module.relpath)
        for imp in module_imports(module, tree, modules):
            findings.extend(_layer_findings(imp))
            if imp.module and imp.module != module.name:
                graph[module.name].add(imp.module)
                key = (module.name, imp.module)
                first_line[key] = min(first_line.get(key, imp.line), imp.line)
        if module.name != MONEY_MODULE:
            findings.extend(_rounding_findings(module, tree))
        findings.extend(_size_finding(module, text, tree))
    for cycle in _cycles(graph):
        start, following = cycle[0], cycle[1]
        findings.append(
            Finding(
                modules[start].relpath,
                first_line[(start, following)],
                CYCLE_RULE,
                f"import cycle {' -> '.join(cycle)}; break it by moving what the lower module "
                "needs out of the higher one (never by importing inside a function).",
            )
        )
    return sorted(set(findings))


def findings_summary(findings: Iterable[Finding]) -> str:
    """Findings grouped by rule, for a readable assertion message."""
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    blocks = []
    for rule in RULES:
        if rule in by_rule:
            lines = "\n".join(f"  {finding}" for finding in by_rule[rule])
            blocks.append(f"{rule} ({len(by_rule[rule])}):\n{lines}")
    return "\n".join(blocks)
