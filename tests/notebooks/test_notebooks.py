"""The notebooks run top to bottom in a fresh kernel, and their committed outputs are current.

Each notebook is built from its source in notebooks/src/ by notebooks/build.py (nbclient and a
kernel of this interpreter, so the project's own dependencies). A failing cell fails its test
with the cell's source and error; a notebook whose committed outputs differ from a fresh run
fails with the difference and the command that rewrites it.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("nbclient", reason='needs: pip install "portal-harness[notebooks]"')

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

pytestmark = pytest.mark.notebooks


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("notebook_build", NOTEBOOKS / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


build = _load_build()
SOURCES = build.sources()
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def executed():
    """Execute each notebook once per test session, whichever test asks first."""
    cache: dict[str, object] = {}

    def run(source: Path) -> object:
        if source.stem not in cache:
            try:
                cache[source.stem] = build.execute(source)
            except Exception as exc:  # a failing cell, or an output that is not reproducible
                cache[source.stem] = exc
        return cache[source.stem]

    return run


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(source: Path, executed) -> None:
    built = executed(source)
    if isinstance(built, Exception):
        pytest.fail(f"{source.stem}: {_ANSI.sub('', str(built))}", pytrace=False)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_committed_outputs_match_a_fresh_run(source: Path, executed) -> None:
    built = executed(source)
    if isinstance(built, Exception):
        pytest.skip("the notebook does not run; see test_notebook_runs_top_to_bottom")
    changed = build.diff(built)
    assert not changed, (
        f"{source.stem}.ipynb is out of date with its source or with the code; rewrite it with "
        f"`python notebooks/build.py {source.stem[:2]}` and commit it\n{changed}")


def test_every_source_has_its_notebook() -> None:
    assert SOURCES, "no notebook sources in notebooks/src/"
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == [p.stem for p in SOURCES]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_shows_tables_and_a_figure(source: Path) -> None:
    import nbformat

    nb = nbformat.read(NOTEBOOKS / f"{source.stem}.ipynb", as_version=4)
    outputs = [o for cell in nb.cells for o in cell.get("outputs", [])]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    svg = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert any("<table" in h for h in html), "no table among the outputs"
    assert svg, "no timeline figure among the outputs"
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "no title cell"
    assert "https://" in first.source, "the opening cell cites no Stripe documentation"


def test_the_docs_list_every_notebook() -> None:
    page = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
    missing = [p.stem for p in SOURCES if f"{p.stem}.ipynb" not in page]
    assert not missing, f"docs/notebooks.md does not list: {', '.join(missing)}"
