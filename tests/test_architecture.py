"""The pipeline reads one way: a module imports only stages upstream of it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import harness

ROOT = Path(harness.__file__).parent
ARCHITECTURE = ROOT.parent / "ARCHITECTURE.md"

# Each stage's layer (a package or a top-level module); it may import its own layer or earlier ones.
LAYERS = [
    {"errors", "_version", "versions", "files", "masking", "termination"},
    {"scenario"},
    {"sim"},
    {"render"},
    {"delivery"},
    {"targets"},
    {"checks"},
    {"run"},
    {"session"},
    {"serve_access"},
    {"cassettes", "fuzz", "display", "serve"},
    {"cli"},
]
SIDE_ROOMS = {
    # the fake Stripe API serves the World: it may use the Stripe half of the pipeline only
    "fake_stripe": {"errors", "versions", "scenario", "sim", "render", "delivery"},
    # the reference app stands in for a customer's app: nothing of the harness at all
    "reference_app": set(),
}


def _module_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    package_parts = path.relative_to(ROOT).parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("harness"):
                parts = node.module.split(".")[1:]
                found.add(parts[0] if parts else "")
            elif node.level > 0:
                base = package_parts[: len(package_parts) - (node.level - 1)]
                parts = [*base, *(node.module.split(".") if node.module else [])]
                if parts:
                    found.add(parts[0])
                else:
                    found.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("harness."):
                    found.add(alias.name.split(".")[1])
    return found - {""}


def _layer(name: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        if name in layer:
            return i
    return None


def test_pipeline_stages_import_only_upstream():
    problems = []
    for path in ROOT.rglob("*.py"):
        me = _module_of(path)
        mine = _layer(me)
        if mine is None:
            continue
        for other in _imports(path) - {me}:
            if other in SIDE_ROOMS:
                # the side rooms are wired in only where targets are built, never upstream
                if mine < _layer("targets"):
                    problems.append(f"{path.relative_to(ROOT)} imports {other}")
                continue
            theirs = _layer(other)
            if theirs is None or theirs > mine:
                problems.append(f"{path.relative_to(ROOT)} imports {other}")
    assert not problems, problems


def test_side_rooms_stay_apart():
    problems = []
    for room, allowed in SIDE_ROOMS.items():
        for path in (ROOT / room).rglob("*.py"):
            for other in _imports(path) - {room}:
                if other not in allowed:
                    problems.append(f"{path.relative_to(ROOT)} imports {other}")
    assert not problems, problems


def test_no_module_is_a_grab_bag():
    names = {p.stem for p in ROOT.rglob("*.py")}
    assert not names & {"utils", "helpers", "common", "misc"}


def test_modules_stay_small():
    big = {str(p.relative_to(ROOT)): n for p in ROOT.rglob("*.py")
           if (n := len(p.read_text().splitlines())) > 400}
    assert not big, big


def test_the_folder_list_is_the_one_architecture_md_draws():
    """Every package and module at the top of harness/ has its row in ARCHITECTURE.md."""
    documented = set(re.findall(r"^\| `harness/([\w.]+?)/?` \|", ARCHITECTURE.read_text(), re.M))
    present = {p.name for p in ROOT.iterdir()
               if not p.name.startswith("__") and (p.suffix == ".py" or p.is_dir())}
    present -= {"_version.py", "_scenarios"}
    assert present == documented
