"""The shape of the package: dependencies point one way (no import cycle in foia/), and the domain
modules import without Flask."""
import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "foia"


def import_graph(root: pathlib.Path) -> dict[str, set[str]]:
    """Module -> the foia modules it imports (anywhere in its body, functions included)."""
    mods = {}
    for p in root.rglob("*.py"):
        n = ".".join(p.relative_to(root.parent).with_suffix("").parts)
        mods[n[:-9] if n.endswith(".__init__") else n] = p
    graph = {m: set() for m in mods}
    for m, p in mods.items():
        pkg = m if p.name == "__init__.py" else m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[m] |= {t for t in targets if t in mods and t != m}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each import edge that lies on a cycle, as ``a -> b``."""
    def reaches(a, b):
        todo, done = [a], set()
        while todo:
            x = todo.pop()
            if x == b:
                return True
            if x not in done:
                done.add(x)
                todo.extend(graph[x])
        return False

    return [f"{m} -> {n}" for m in sorted(graph) for n in sorted(graph[m]) if reaches(n, m)]


def test_no_import_cycle_in_foia():
    assert cycles(import_graph(PACKAGE)) == []


def test_the_cycle_check_finds_a_cycle(tmp_path):
    package = tmp_path / "foia"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .a import x\n")  # function-local imports count
    (package / "c.py").write_text("from foia import a\n")
    assert cycles(import_graph(package)) == ["foia.a -> foia.b", "foia.b -> foia.a"]


DOMAIN = ["foia.lifecycle", "foia.requests", "foia.agencies", "foia.laws", "foia.deadlines", "foia.reminders",
          "foia.letters", "foia.documents", "foia.campaigns", "foia.jobs", "foia.accounts", "foia.backup",
          "foia.instance", "foia.config", "foia.db", "foia.exports", "foia.ics"]


@pytest.mark.parametrize("module", DOMAIN)
def test_domain_module_imports_without_flask(module):
    code = f"import sys, {module}; assert 'flask' not in sys.modules, 'flask was imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_flask_finds_the_app_and_wsgi_builds_it(tmp_path):
    env = {"PATH": str(pathlib.Path(sys.executable).parent), "FOIA_INSTANCE": str(tmp_path / "instance")}
    flask = pathlib.Path(sys.executable).parent / "flask"
    routes = subprocess.run([str(flask), "--app", "foia", "routes"], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert routes.returncode == 0, routes.stderr[-2000:]
    assert "requests.show" in routes.stdout and "<id:user_id>" in routes.stdout
    wsgi = subprocess.run([sys.executable, "-c", "import foia.wsgi; print(foia.wsgi.app.name)"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)
    assert wsgi.returncode == 0 and wsgi.stdout.strip() == "foia", wsgi.stderr[-2000:]
