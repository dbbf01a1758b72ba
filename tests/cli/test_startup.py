"""Start-up: a command imports what it needs, not every command's modules."""

from __future__ import annotations

import json
import subprocess
import sys

from harness.cassettes.streams import IMPORT_FORMATS
from harness.cli import cassettes


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport json, sys\n"
                          "print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_command_line_is_parsed_without_the_library_behind_the_commands() -> None:
    loaded = _modules_after("from harness.cli.main import _parser; _parser().parse_args(['run'])")
    heavy = {"stripe", "harness.cassettes.streams", "harness.session", "harness.fake_stripe",
             "hypothesis", "pydantic"}
    assert not heavy & loaded, heavy & loaded


def test_listing_scenarios_never_imports_stripe_or_the_fake_api() -> None:
    loaded = _modules_after("from harness.cli import main\nmain(['scenarios'])")
    assert "harness.scenario.files" in loaded
    assert not {"stripe", "harness.fake_stripe", "harness.reference_app"} & loaded


def test_the_record_command_offers_the_formats_the_importer_reads() -> None:
    assert cassettes.IMPORT_FORMATS == IMPORT_FORMATS


def test_a_run_in_process_never_imports_the_http_server() -> None:
    loaded = _modules_after("from harness.cli import main\nmain(['run', '--scenario', 'upgrade', "
                            "'--api-version', '2025-03-31.basil', '--delivery', 'in_order', "
                            "'--json'])")
    assert "harness.fake_stripe" in loaded
    assert not {m for m in loaded if m.split(".")[0] == "werkzeug"}
