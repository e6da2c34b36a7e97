"""The import structure of lamina.

Imports point one way, backend <- autograd <- ops <- layers <- models <- callbacks/training
(README.md, Layout): a package never imports one of a higher level at module level. No
modules import each other round a circle, counting the imports inside functions too,
except the inherent one into the file formats (``Model.save`` -> ``lamina.saving``). The
engine (autograd + ops) stays under 2,000 lines of code.

Run as a script (``python tests/test_imports.py``) to print the figures.
"""
import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lamina_modules():
    """{dotted module name: path} of every module in lamina/."""
    out = {}
    for path in sorted((ROOT / "lamina").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _import_nodes(tree):
    """(import node, inside a function?) for every import statement of a module."""
    def walk(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, in_function
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.Lambda))
            yield from walk(child, inner)
    return walk(tree, False)


def _targets(node, name, is_package, known):
    """The lamina modules an import statement in module ``name`` loads."""
    if isinstance(node, ast.Import):
        bases = [alias.name for alias in node.names]
        subs = []
    else:
        if node.level:
            package = name if is_package else name.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = package + ("." + node.module if node.module else "")
        else:
            base = node.module
        bases = [base]
        subs = [f"{base}.{alias.name}" for alias in node.names]
    found = []
    for target in bases + [s for s in subs if s in known]:
        if not target.startswith("lamina"):
            continue
        parts = target.split(".")
        # importing a.b.c runs the packages a.b and a.b.c; those above `name` are already
        # running, and the top-level lamina package is left out (it imports everything)
        for i in range(2, len(parts) + 1):
            module = ".".join(parts[:i])
            if module in known and not name.startswith(module + ".") and module != name:
                found.append(module)
    return found


def import_graph():
    """The lamina modules each module imports.

    Returns:
        ({module: modules imported at module level}, {module: modules imported inside
        functions}, {"all": import statements inside functions, "lamina": those of them
        that import lamina modules}).
    """
    known = lamina_modules()
    top, inside_functions, count = {}, {}, {"all": 0, "lamina": 0}
    for name, path in known.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        top[name], inside_functions[name] = set(), set()
        for node, inside in _import_nodes(tree):
            targets = _targets(node, name, is_package, known)
            if inside:
                count["all"] += 1
                count["lamina"] += bool(targets)
            (inside_functions if inside else top)[name].update(targets)
    return top, inside_functions, count


def circles(graph):
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, result = {}, {}, set(), [], []
    counter = [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
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
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    result.append(sorted(component))
    return result



# The levels, lowest first: a module may import its own level and those below it. Modules
# of no level (new top-level modules) are not checked here. Callbacks share the models'
# level: Model.fit, the training loop, drives them, and they reach the model only through
# ``self.model``.
LEVELS = [
    ("backend", {"backend", "_config", "naming", "tree", "progbar", "serialization", "dtypes"}),
    ("autograd", {"autograd", "gradient_tape"}),
    ("ops", {"ops"}),
    ("distribute", {"distribute"}),
    ("Keras objects", {"activations", "initializers", "regularizers", "constraints",
                       "schedules", "losses", "metrics", "optimizers", "nn", "data",
                       "api", "math", "linalg", "array_ops", "reference"}),
    ("layers", {"layers"}),
    ("compiled steps", {"compile"}),
    ("models, callbacks/training", {"models", "callbacks"}),
    ("file formats and user namespaces", {"saving", "export", "datasets", "utils", "wrappers",
                                          "mlflow", "keras", "demo", "__main__", "lamina",
                                          "random", "summary", "config"}),
]
FILE_FORMATS = "lamina.saving"  # imported inside Model.save and friends: the one circle
ENGINE_BUDGET = 2000


def _level(module):
    part = module.split(".")[1] if "." in module else "lamina"
    for i, (_, members) in enumerate(LEVELS):
        if part in members:
            return i
    return None


def _code_lines(path):
    """Lines holding code: not blank, not comments, not docstrings alone."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.STRING, tokenize.ENDMARKER}
    lines = set()
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if tok.type not in skip:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return len(lines)


def engine_lines():
    return sum(_code_lines(p) for folder in ("autograd", "ops")
               for p in (ROOT / "lamina" / folder).rglob("*.py"))


def test_imports_point_down():
    top, _, _ = import_graph()
    upward = []
    for module, imported in top.items():
        for target in imported:
            low, high = _level(module), _level(target)
            if low is not None and high is not None and high > low:
                upward.append(f"{module} ({LEVELS[low][0]}) imports {target} "
                              f"({LEVELS[high][0]})")
    assert not upward, "imports pointing up:\n" + "\n".join(sorted(upward))


def test_no_import_circles():
    top, inside, _ = import_graph()
    assert circles(top) == [], "module-level imports go round a circle"
    every = {m: top[m] | {t for t in inside[m] if not t.startswith(FILE_FORMATS)}
             for m in top}
    assert circles(every) == [], "imports (inside functions too) go round a circle"


def test_the_graph_sees_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    module = ast.parse("import lamina.layers.core\nfrom lamina.models import model\n"
                       "def f():\n    from lamina import saving\n")
    found = [(ast.unparse(node), inside) for node, inside in _import_nodes(module)]
    assert found == [("import lamina.layers.core", False),
                     ("from lamina.models import model", False),
                     ("from lamina import saving", True)]


def test_engine_stays_under_its_budget():
    lines = engine_lines()
    assert 500 < lines <= ENGINE_BUDGET, (
        f"lamina/autograd + lamina/ops hold {lines} lines of code; the budget is "
        f"{ENGINE_BUDGET}")


if __name__ == "__main__":
    top, inside, in_function = import_graph()
    every = {m: top[m] | inside[m] for m in top}
    print(f"module-level import edges: {sum(map(len, top.values()))}")
    for title, graph in (("module-level", top), ("all imports", every)):
        found = circles(graph)
        print(f"circles ({title}): {len(found)}, sizes {[len(c) for c in found]}")
        for c in found:
            print("   ", " ".join(c))
    print(f"in-function imports: {in_function['all']} statements, "
          f"{in_function['lamina']} of lamina modules")
    print(f"engine code lines (autograd + ops): {engine_lines()}")
