"""Build the notebooks from their readable sources, with outputs, so they read well on GitHub.

Each notebook is written as a Python file in notebooks/src/ ("# %%" starts a code cell,
"# %% [markdown]" a Markdown cell whose lines start with "# "). This script turns each into an
.ipynb, executes it top to bottom in a fresh kernel of this interpreter (nbclient, ipykernel),
removes what changes from run to run (timings, kernel versions) and writes notebooks/NN_*.ipynb.

A code cell headed `# %% tags=["volatile-output"]` shows what depends on another project's
version rather than on this one's code (the example hypothesis finds and how it shrinks it):
it must still run, but `--check` does not compare its output.

    python notebooks/build.py            execute every notebook and write it
    python notebooks/build.py 03 07      only the notebooks whose names start with 03 or 07
    python notebooks/build.py --check    exit 1 if a written notebook differs from a fresh run
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
TIMEOUT = 60  # seconds per cell
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
VOLATILE = "volatile-output"

# Values a correct run may still print differently each time: the wall-clock duration in a
# run report's summary line. Scrubbed from the written outputs so they stay comparable.
_SCRUBBED = [(re.compile(r", \d+\.\d+ s\)"), ")")]
# Values that must never reach a written notebook: they would change on every run.
_FORBIDDEN = [re.compile(r" at 0x[0-9a-f]{6,}"), re.compile(r"/tmp/tmp\w+")]


class BuildError(Exception):
    """A notebook could not be built: a cell failed, or its output is not reproducible."""


@dataclass
class Built:
    name: str
    path: Path
    text: str
    seconds: float


def sources(prefixes: list[str] | None = None) -> list[Path]:
    """The notebook sources, in reading order, optionally only names starting with a prefix."""
    found = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if prefixes:
        found = [p for p in found if p.stem.startswith(tuple(prefixes))]
    return found


def parse(source: str) -> nbformat.NotebookNode:
    """A percent-format Python source as an (unexecuted) notebook."""
    cells: list[tuple[str, list[str], list[str]]] = []
    for line in source.splitlines():
        if line.startswith("# %%"):
            tags = re.search(r"tags=(\[.*\])", line)
            cells.append(("markdown" if "[markdown]" in line else "code",
                          json.loads(tags.group(1)) if tags else [], []))
        elif cells:
            cells[-1][2].append(line)
    nb = nbformat.v4.new_notebook()
    for i, (kind, tags, lines) in enumerate(cells):
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        cell_id = f"cell-{i:02d}"
        if kind == "markdown":
            text = "\n".join(re.sub(r"^# ?", "", ln) for ln in lines)
            nb.cells.append(nbformat.v4.new_markdown_cell(text, id=cell_id))
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines), id=cell_id)
            if tags:
                cell.metadata["tags"] = tags
            nb.cells.append(cell)
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    return nb


def kernel_manager() -> KernelManager:
    """A kernel of this very interpreter (ipykernel's built-in spec), whatever else is installed:
    the notebooks must run against the project's own dependencies."""
    return KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(
        kernel_dirs=[]))


def execute(path: Path) -> Built:
    """Execute one notebook source; a failing cell raises nbclient's CellExecutionError, whose
    message holds the cell's source and its traceback."""
    nb = parse(path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    client = NotebookClient(nb, timeout=TIMEOUT, km=kernel_manager(), record_timing=False,
                            resources={"metadata": {"path": str(HERE)}})
    client.execute()
    seconds = time.perf_counter() - started
    _clean(nb, path.stem)
    nbformat.validate(nb)
    return Built(path.stem, HERE / f"{path.stem}.ipynb", nbformat.writes(nb) + "\n", seconds)


def _clean(nb: nbformat.NotebookNode, name: str) -> None:
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for cell in nb.cells:
        tags = cell.metadata.get("tags")
        cell.metadata = {"tags": tags} if tags else {}
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = _scrub(out["text"], name)
            for mime, value in (out.get("data") or {}).items():
                if isinstance(value, str):
                    out["data"][mime] = _scrub(value, name)


def _scrub(text: str, name: str) -> str:
    for pattern, repl in _SCRUBBED:
        text = pattern.sub(repl, text)
    for pattern in _FORBIDDEN:
        found = pattern.search(text)
        if found:
            raise BuildError(f"{name}: an output holds {found.group(0)!r}, which changes on "
                             "every run; display something deterministic instead")
    return text


def _comparable(text: str) -> str:
    """A notebook's text without the outputs of its volatile cells."""
    if not text:
        return text
    nb = nbformat.reads(text, as_version=4)
    for cell in nb.cells:
        if VOLATILE in cell.metadata.get("tags", []):
            cell.outputs = []
            cell.execution_count = None
    return nbformat.writes(nb)


def diff(built: Built) -> str:
    """How the written notebook differs from a fresh run ("" when it does not), leaving out
    the outputs of volatile cells."""
    written = built.path.read_text(encoding="utf-8") if built.path.exists() else ""
    if written == built.text:
        return ""
    written, fresh = _comparable(written), _comparable(built.text)
    if written == fresh:
        return ""
    lines = difflib.unified_diff(written.splitlines(), fresh.splitlines(),
                                 f"{built.path.name} (written)", f"{built.path.name} (fresh run)",
                                 n=2, lineterm="")
    return "\n".join(list(lines)[:60])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="notebook name prefixes, e.g. 03")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a written notebook is out of date")
    args = parser.parse_args(argv)
    stale = []
    total = 0.0
    for path in sources(args.only):
        built = execute(path)
        total += built.seconds
        changed = diff(built)
        if args.check:
            print(f"{built.name}: {'out of date' if changed else 'up to date'} "
                  f"({built.seconds:.1f} s)")
            if changed:
                stale.append(built.name)
                print(changed)
        else:
            written = built.path.read_text(encoding="utf-8") if built.path.exists() else ""
            if written != built.text:
                built.path.write_text(built.text, encoding="utf-8")
            print(f"{built.name}: {'unchanged' if written == built.text else 'written'} "
                  f"({built.seconds:.1f} s)")
    print(f"total execution time {total:.1f} s")
    if stale:
        print(f"out of date: {', '.join(stale)}; run `python notebooks/build.py` and commit")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
