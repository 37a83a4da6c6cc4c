"""Keys: private files only, one clear message for anything that is not a key, --key-env."""

from __future__ import annotations

from pathlib import Path

import pytest

from medanon.custody.keys import (
    SecretKey,
    key_from_environment,
    load_key,
    parse_key,
    write_key,
)
from medanon.errors import KeyFileError
from medanon.sample import SampleCollection

from .conftest import assert_one_clear_error, medanon


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_key_others_can_read_is_refused_with_the_fix(key_file: Path, mode: int) -> None:
    key_file.chmod(mode)
    with pytest.raises(KeyFileError) as error:
        load_key(key_file)
    assert f"chmod 600 {key_file}" in str(error.value)
    key_file.chmod(0o600)
    assert load_key(key_file).material.startswith(b"medanon-custody")


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\xff\xfe binary", b"", b"not a key\n", b"medanon-key-v1\n",
    b"medanon-key-v1\n!!!notbase64\n", b"medanon-key-v1\nAAAA\n",
    b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n-----END PRIVATE KEY-----\n",
])
def test_anything_but_a_key_is_not_a_medanon_key_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(KeyFileError) as error:
        load_key(path)
    assert "not a medanon key file" in str(error.value)
    assert "codec" not in str(error.value)


def test_garbage_key_on_the_command_line_is_one_clear_error(
        tmp_path: Path, sample: SampleCollection) -> None:
    path = tmp_path / "garbage.key"
    path.write_bytes(b"\xff\xfe\x00garbage bytes \x80\x81")
    path.chmod(0o600)
    line = assert_one_clear_error(
        medanon("run", sample.root, tmp_path / "out", "--key", path), "not a medanon key file")
    assert "codec" not in line
    path.chmod(0o644)
    assert_one_clear_error(medanon("run", sample.root, tmp_path / "out", "--key", path),
                           f"chmod 600 {path}")
    assert not (tmp_path / "out").exists()


def test_key_from_environment_matches_the_file(key_file: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE_KEY", key_file.read_text())
    assert key_from_environment("SITE_KEY") == load_key(key_file)
    monkeypatch.setenv("SITE_KEY", "secret-looking-garbage")
    with pytest.raises(KeyFileError) as error:
        key_from_environment("SITE_KEY")
    assert "SITE_KEY does not hold a medanon key" in str(error.value)
    assert "secret-looking-garbage" not in str(error.value)
    monkeypatch.delenv("SITE_KEY")
    with pytest.raises(KeyFileError, match="SITE_KEY is not set"):
        key_from_environment("SITE_KEY")


def test_key_env_run_gives_the_same_output_and_never_shows_the_key(
        tmp_path: Path, key_file: Path, sample: SampleCollection) -> None:
    text = key_file.read_text()
    secret_line = text.split()[1]
    by_file = medanon("run", sample.root, tmp_path / "a", "--key", key_file, "-w", "1")
    by_env = medanon("run", sample.root, tmp_path / "b", "--key-env", "SITE_KEY", "-w", "1",
                     env={"SITE_KEY": text})
    assert by_file.returncode == by_env.returncode == 1, by_env.stderr
    outputs_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.dcm"))
    outputs_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.dcm"))
    assert outputs_a == outputs_b and outputs_a
    # The typer spelling reads the same option.
    via_typer = medanon("run", sample.root, tmp_path / "c", "--key-env=SITE_KEY", "-qw", "1",
                        env={"SITE_KEY": text})
    assert via_typer.returncode == 1, via_typer.stderr
    fingerprint = load_key(key_file).fingerprint
    written = [p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()]
    for blob in [by_env.stdout.encode(), by_env.stderr.encode(), *written]:
        assert secret_line.encode() not in blob
        assert load_key(key_file).material not in blob
    report = (tmp_path / "b" / ".medanon" / "report.json").read_text()
    assert fingerprint in report
    both = medanon("run", sample.root, tmp_path / "d", "--key", key_file, "--key-env", "X",
                   env={"X": text})
    assert_one_clear_error(both, "either --key or --key-env")


def test_written_keys_are_private_and_parse_back(tmp_path: Path) -> None:
    key = write_key(tmp_path / "k.key")
    assert (tmp_path / "k.key").stat().st_mode & 0o777 == 0o600
    assert parse_key((tmp_path / "k.key").read_bytes(), "x") == key
    assert repr(SecretKey(b"\x07" * 32)) == "SecretKey()"


def test_keygen_help_says_how_to_back_up_and_what_losing_means() -> None:
    result = medanon("keygen", "--help", env={"COLUMNS": "200"})
    text = " ".join(result.stdout.split())
    assert "Back it up" in text and "Losing it" in text
    assert "no longer match" in text
