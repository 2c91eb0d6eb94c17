"""The CLI's top level: help, version, and error-to-exit-code mapping."""

from __future__ import annotations

import pickle

import pytest

from atek_store import errors
from atek_store.cli import main
from atek_store.cli._errors import exit_code_for


def test_version_prints_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert "atek-store" in capsys.readouterr().out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.UrlsExpiredError("expired"), 3),
        (errors.ManifestError("bad json"), 2),
        (errors.UsageError("bad flag"), 2),
        (errors.FormatError("bad tar", shard="a.tar"), 2),
        (errors.TransferError("failed"), 1),
        (errors.LoaderError("failed"), 1),
    ],
)
def test_errors_map_to_exit_codes(error: errors.AtekStoreError, code: int) -> None:
    assert exit_code_for(error) == code


def test_errors_pickle_with_their_fields() -> None:
    error = errors.ImageDecodeError("JPEG does not decode", shard="s.tar", member="k.x.jpeg")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is errors.ImageDecodeError
    assert str(again) == str(error)
    assert again.shard == "s.tar"
    assert again.member == "k.x.jpeg"
    assert isinstance(again, ValueError)


_CHATTY = """
import argparse, sys
from atek_store.cli._errors import run_guarded
def chatty(args):
    for i in range(200_000):
        print("line", i)
    return 0
sys.exit(run_guarded(chatty, argparse.Namespace()))
"""


def test_a_closed_pipe_ends_the_command_quietly() -> None:
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-c", _CHATTY], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        child.stdout.readline()
        child.stdout.close()  # like `| head -1`
        stderr = child.stderr.read()
        assert child.wait(timeout=60) == 0
    assert b"Traceback" not in stderr
