"""The commands whose start-up is checked (``test_startup_imports.py``) and timed (``benchmarks/startup.py``).

Real inputs: a synthetic store written by our writer, published as a URL JSON and served on
127.0.0.1 by our own store server. Each command runs as a real ``python -m atek_store`` process;
a probe variant records the modules the process had imported when it exited.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from atek_store.store import publish_store, start_store_server
from atek_store.synthetic import write_synthetic_store

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Top-level packages a command that does not load samples must leave unimported.
HEAVY = ("torch", "numpy", "PIL", "simplejpeg")

#: The commands (by ``Command.name``) that must never import torch.
TORCH_FREE = (
    "--help",
    "configs",
    "list",
    "download --dry-run",
    "download local",
    "download streamable",
    "verify",
    "publish --check tar",
    "serve",
    "serve --state",
)

# Runs the CLI exactly as ``python -m atek_store`` does, and at exit (also after SystemExit or
# SIGINT handled by the command) writes the names in sys.modules to the file named by the variable.
_PROBE_VARIABLE = "ATEK_STORE_TEST_MODULES_OUT"
_PROBE = (
    "import atexit, os, runpy, sys\n"
    "def _dump(path=os.environ.pop('" + _PROBE_VARIABLE + "')):\n"
    "    with open(path, 'w') as f:\n"
    "        f.write('\\n'.join(sorted(sys.modules)))\n"
    "atexit.register(_dump)\n"
    "runpy.run_module('atek_store', run_name='__main__')\n"
)


@dataclass(frozen=True)
class StartupStore:
    """A served synthetic store and its URL JSON."""

    root: Path
    url_json: Path
    base_url: str
    config: str


@dataclass(frozen=True)
class Command:
    """One CLI invocation: ``python -m atek_store <argv>``; ``serves`` runs until SIGINT once ready."""

    name: str
    argv: tuple[str, ...]
    serves: bool = False


@dataclass(frozen=True)
class Finished:
    """What a finished command left: exit code, output, and (probe runs) the modules it imported."""

    returncode: int
    stdout: str
    stderr: str
    modules: frozenset[str]

    def heavy_modules(self) -> list[str]:
        """The top-level heavy packages the process imported."""
        return sorted({name.split(".")[0] for name in self.modules} & set(HEAVY))


@contextmanager
def served_store(work: Path, *, sequences: int = 2, samples_per_sequence: int = 4) -> Iterator[StartupStore]:
    """Write a cubercnn-style synthetic store under ``work``, publish it and serve it on loopback."""
    config = "cubercnn"
    root = work / "store"
    write_synthetic_store(
        root / config, config=config, sequences=sequences, seed=0, samples_per_sequence=samples_per_sequence
    )
    with start_store_server(root) as server:
        url_json = work / "Startup_ATEK_download_urls.json"
        publish_store(root, dataset_name="Startup", out=url_json, base_url=server.url, check="tar")
        yield StartupStore(root=root, url_json=url_json, base_url=server.url, config=config)


def commands(store: StartupStore, out: Path) -> list[Command]:
    """The checked commands, in an order that works: ``verify`` reads what ``download-local`` wrote."""
    select = ("--config-name", store.config, "--input-json-path", str(store.url_json))
    local = out / "local"
    return [
        Command("--help", ("--help",)),
        Command("configs", ("configs",)),
        Command("list", ("list", str(store.url_json))),
        Command(
            "download --dry-run",
            (
                "download",
                *select,
                "--output-folder-path",
                str(out / "dry"),
                "--download-wds-to-local",
                "--dry-run",
            ),
        ),
        Command(
            "download local",
            ("download", *select, "--output-folder-path", str(local), "--download-wds-to-local"),
        ),
        Command(
            "download streamable", ("download", *select, "--output-folder-path", str(out / "streamable"))
        ),
        Command("verify", ("verify", str(local))),
        Command(
            "publish --check tar",
            (
                "publish",
                str(store.root),
                "--dataset-name",
                "Startup",
                "--base-url",
                store.base_url,
                "--out",
                str(out / "published.json"),
                "--check",
                "tar",
            ),
        ),
        Command("serve", ("serve", str(store.root), "--port", "0", "--no-access-log"), serves=True),
        Command(
            "serve --state",  # the store front: pages, access grants; previews render in child processes
            ("serve", str(store.root), "--port", "0", "--no-access-log", "--state", str(out / "state")),
            serves=True,
        ),
    ]


def quiet_environment() -> dict[str, str]:
    """The environment of the child processes: no progress bars, nothing inherited that changes logs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ATEK_STORE_")}
    env["ATEK_STORE_NO_PROGRESS"] = "1"
    return env


def command_line(command: Command, *, probe: bool = False) -> list[str]:
    """The process's argv: the CLI itself, or the probe that records sys.modules at exit."""
    head = [sys.executable, "-c", _PROBE] if probe else [sys.executable, "-m", "atek_store"]
    return [*head, *command.argv]


def start(
    command: Command,
    *,
    env: Mapping[str, str],
    probe_out: Path | None = None,
    wrapper: Sequence[str] = (),
) -> subprocess.Popen[str]:
    """Start the command's process (stdout and stderr piped, text), optionally under ``wrapper``."""
    env = dict(env)
    if probe_out is not None:
        env[_PROBE_VARIABLE] = str(probe_out)
    return subprocess.Popen(
        [*wrapper, *command_line(command, probe=probe_out is not None)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_serving(process: subprocess.Popen[str]) -> str:
    """Block until ``serve`` prints its ready line (or exits); returns that line."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("serving "):
        process.kill()
        _, stderr = process.communicate()
        raise AssertionError(f"serve did not become ready: {line!r}\n{stderr}")
    return line


def interrupt(process: subprocess.Popen[str]) -> None:
    """Stop a serving process the way a user does (Ctrl-C)."""
    process.send_signal(signal.SIGINT)


def run_probed(command: Command, *, env: Mapping[str, str], probe_out: Path) -> Finished:
    """Run a command to the end (a server until ready, then SIGINT) and read what it imported."""
    process = start(command, env=env, probe_out=probe_out)
    if command.serves:
        wait_until_serving(process)
        interrupt(process)
    stdout, stderr = process.communicate()
    modules = frozenset(probe_out.read_text().split()) if probe_out.exists() else frozenset()
    return Finished(process.returncode, stdout, stderr, modules)
