"""The docs stay true: links resolve, every `portal-harness` command in them parses, the README's
target file loads, and the site builds with mkdocs in strict mode."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import _parser
from harness.targets.files import load_target_file

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)


def _links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    return [m for m in LINK.findall(text) if not re.match(r"[a-z]+:", m) and not m.startswith("#")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_at_files_that_exist(page: Path) -> None:
    broken = [link for link in _links(page)
              if not (page.parent / link.split("#", 1)[0]).exists()]
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


INLINE = re.compile(r"`(portal-harness [^`\[\]]+)`")
PLACEHOLDER = re.compile(r"\b[A-Z]{2,}\b|\.\.\.")


def _commands(page: Path) -> list[str]:
    """Commands in code blocks (also after `Replay:`-style prefixes) and in inline code."""
    text = page.read_text()
    out = []
    for block in FENCE.findall(text):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.strip().removeprefix("$ ")
            if "portal-harness " in line and not line.startswith("portal-harness "):
                line = line[line.index("portal-harness "):] if ": portal-harness " in line else ""
            if line.startswith("portal-harness ") and not PLACEHOLDER.search(line):
                out.append(line.split(" #", 1)[0].split(" | ", 1)[0].strip())
    out += [c for c in INLINE.findall(FENCE.sub("", text)) if not PLACEHOLDER.search(c)]
    return list(dict.fromkeys(out))


COMMANDS = [(page, cmd) for page in PAGES for cmd in _commands(page)]


@pytest.mark.parametrize(("page", "command"), COMMANDS,
                         ids=[f"{p.name}:{c[:60]}" for p, c in COMMANDS])
def test_every_documented_command_parses(page: Path, command: str) -> None:
    argv = shlex.split(command)[1:]
    try:
        _parser().parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"{page.relative_to(ROOT)}: `{command}` no longer parses (exit {exc.code})")


def test_the_docs_document_commands_at_all() -> None:
    assert len(COMMANDS) >= 15


def test_the_readme_target_file_loads(tmp_path: Path) -> None:
    block = next(b for b in FENCE.findall((ROOT / "README.md").read_text()) if "[webhook]" in b)
    path = tmp_path / "harness.toml"
    path.write_text(block)
    target = load_target_file(path)
    assert target.spec.webhook.url.endswith("/api/webhooks/stripe")


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason='the docs extra: pip install -e ".[docs]"')
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                          "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "site" / "checks" / "index.html").exists()
