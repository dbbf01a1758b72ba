"""Contract: no file under the top-level cassettes/ folder holds a Stripe secret.

Every recorded API cassette passes through the scrubbers in `harness.cassettes.recording`; this
scan is the check that nothing slipped past them (or was committed by hand). Failures name
file:line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cassettes.recording import scan_cassettes

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"


def check_no_secrets(root: Path) -> int:
    """Fail naming file:line for each secret under `root`; return how many files were read."""
    if not root.is_dir():  # git keeps no empty folders, so a fresh clone may lack it
        return 0
    findings = scan_cassettes(root)
    if findings:
        pytest.fail(
            "secrets in cassettes (re-record with harness.cassettes.recording.vcr_config(), or "
            "scrub by hand and rotate the key):\n" + "\n".join(f"  {f}" for f in findings),
            pytrace=False,
        )
    return sum(1 for path in root.rglob("*") if path.is_file())


def check_bodies_are_text(root: Path) -> None:
    """Fail for bodies the scan cannot read: vcrpy stores undecodable bytes as !!binary base64."""
    if not root.is_dir():
        return
    unreadable = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            unreadable.append(f"  {path}: not UTF-8 text (byte offset {exc.start})")
            continue
        unreadable.extend(
            f"  {path}:{number}: binary body (record with decode_compressed_response=True)"
            for number, line in enumerate(text.split("\n"), start=1)
            if "!!binary" in line
        )
    if unreadable:
        pytest.fail(
            "cassettes the secret scan cannot read:\n" + "\n".join(unreadable), pytrace=False
        )


def test_cassettes_hold_no_secrets():
    check_no_secrets(CASSETTES)


def test_cassette_bodies_are_readable_text():
    check_bodies_are_text(CASSETTES)


def planted(kind: str) -> str:
    """A secret-shaped value, assembled at run time so no scanner flags this file."""
    body = "51HqLyjWDarjtT1zdp7dc" * 3
    return {
        "sk_live": "sk_" + "live_" + body,
        "rk_test": "rk_" + "test_" + body,
        "whsec": "wh" + "sec_" + body,
        "portal": "https://billing.stripe.com/p/session/" + "test_" + body * 2,
    }[kind]


@pytest.mark.parametrize("kind", ["sk_live", "rk_test", "whsec", "portal"])
def test_the_scan_flags_a_planted_secret_by_file_and_line(tmp_path, kind):
    folder = tmp_path / "cassettes" / "test_portal"
    folder.mkdir(parents=True)
    (tmp_path / "cassettes" / "clean.yaml").write_text(
        "url: https://billing.stripe.com/p/session/test_REDACTED\n"
    )
    leaky = folder / "test_creates_a_session.yaml"
    leaky.write_text(f"interactions:\n- response:\n    body: '{planted(kind)}'\n")

    with pytest.raises(pytest.fail.Exception) as failure:
        check_no_secrets(tmp_path / "cassettes")

    message = str(failure.value)
    assert f"{leaky}:3: " in message
    assert planted(kind) not in message  # the report itself does not leak the secret
    assert "clean.yaml" not in message


def test_the_scan_passes_a_clean_folder_and_an_absent_one(tmp_path):
    (tmp_path / "a.yaml").write_text("body: sk_test_REDACTED whsec_REDACTED\n")
    assert check_no_secrets(tmp_path) == 1
    assert check_no_secrets(tmp_path / "missing") == 0


def test_the_readability_check_flags_binary_bodies(tmp_path):
    (tmp_path / "gz.yaml").write_text("body:\n  string: !!binary |\n    H4sIAAAAAAAA\n")
    with pytest.raises(pytest.fail.Exception, match=r"gz\.yaml:2: binary body"):
        check_bodies_are_text(tmp_path)
