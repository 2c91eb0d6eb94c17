"""The store front's SQLite state: grants, decisions, the append-only audit log, concurrent writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from atek_store.errors import StoreError, UsageError
from atek_store.store.front.state import (
    SCHEMA_VERSION,
    AuditEvent,
    AuditKind,
    GrantStatus,
    open_state,
)
from tests.bounded import REPO_ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_new_folder_gets_the_schema_private_permissions_and_wal(tmp_path: Path) -> None:
    state = open_state(tmp_path / "state")
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
    db = sqlite3.connect(state.folder / "access.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert open_state(tmp_path / "state").grants() == []  # opening again keeps it


def test_a_folder_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    open_state(tmp_path)
    with sqlite3.connect(tmp_path / "access.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer atek-store"):
        open_state(tmp_path)


def test_opening_a_missing_state_without_create_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--state"):
        open_state(tmp_path / "nothing", create=False)


def test_grants_are_found_by_token_and_decided(tmp_path: Path) -> None:
    clock = Clock()
    state = open_state(tmp_path, clock=clock)
    issued = state.create_grant(dataset="ADT", email="a@uni.edu", status=GrantStatus.PENDING)
    assert state.grant_by_token(issued.token) == issued.grant
    assert state.grant_by_token(issued.token + "x") is None
    clock.now += 60
    (approved,) = state.decide([issued.grant.id], GrantStatus.ACTIVE)
    assert approved.status is GrantStatus.ACTIVE
    assert approved.decided_at == clock.now
    (revoked,) = state.decide([issued.grant.id], GrantStatus.REVOKED)
    assert revoked.status is GrantStatus.REVOKED
    with pytest.raises(UsageError, match="cannot become active"):
        state.decide([issued.grant.id], GrantStatus.ACTIVE)
    with pytest.raises(UsageError, match="no grant"):
        state.decide(["unknown-grant"], GrantStatus.REVOKED)
    assert [g.id for g in state.grants(status=GrantStatus.REVOKED)] == [issued.grant.id]


def test_only_the_token_hash_is_stored(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    issued = state.create_grant(dataset="ADT", email="a@uni.edu", status=GrantStatus.ACTIVE)
    assert issued.token.encode() not in (tmp_path / "access.sqlite3").read_bytes()


def test_the_audit_log_refuses_updates_and_deletes(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    state.record(AuditEvent(AuditKind.JSON, "grant-1"))
    with sqlite3.connect(tmp_path / "access.sqlite3") as db:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE audit SET grant_id = 'other'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM audit")


def test_usage_sums_what_each_grant_downloaded(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    grant = state.create_grant(dataset="ADT", email="a@uni.edu", status=GrantStatus.ACTIVE).grant
    idle = state.create_grant(dataset="ADT", email="b@uni.edu", status=GrantStatus.ACTIVE).grant
    state.record(AuditEvent(AuditKind.JSON, grant.id, dataset="ADT"))
    file = {"dataset": "ADT", "path": "c/s/shards-0000.tar"}
    state.record(AuditEvent(AuditKind.FILE, grant.id, status=206, bytes_sent=10, length=10, **file))
    state.record(AuditEvent(AuditKind.FILE, grant.id, status=200, bytes_sent=100, length=100, **file))
    other = AuditEvent(
        AuditKind.FILE, grant.id, status=200, bytes_sent=5, length=50, dataset="ADT", path="c/s/x"
    )
    state.record(other)
    state.record(AuditEvent(AuditKind.FILE, grant.id, status=403, bytes_sent=0, length=0, **file))
    usage = {u.grant.id: u for u in state.usage()}
    assert (usage[grant.id].jsons, usage[grant.id].files, usage[grant.id].complete) == (1, 2, 1)
    assert (usage[grant.id].bytes_sent, usage[grant.id].refused) == (115, 1)
    assert (usage[idle.id].files, usage[idle.id].bytes_sent, usage[idle.id].last_seen) == (0, 0, None)


def test_two_processes_write_at_once_and_nothing_is_lost(tmp_path: Path) -> None:
    open_state(tmp_path)
    writer = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO_ROOT / "src")!r})
        from atek_store.store.front.state import AuditEvent, AuditKind, GrantStatus, open_state
        state = open_state({str(tmp_path)!r})
        for i in range(40):
            event = AuditEvent(AuditKind.FILE, sys.argv[1], path=f"f{{i}}", status=200, bytes_sent=1)
            state.record(event)
        state.create_grant(dataset="ADT", email=sys.argv[1] + "@uni.edu", status=GrantStatus.ACTIVE)
        """
    )
    children = [subprocess.Popen([sys.executable, "-c", writer, name]) for name in ("one", "two", "three")]
    assert [child.wait(timeout=120) for child in children] == [0, 0, 0]
    with sqlite3.connect(tmp_path / "access.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM audit WHERE kind = 'file'").fetchone()[0] == 120
    assert len(open_state(tmp_path).grants()) == 3


def _open_together(folder: Path, barrier: threading.Barrier, failures: list[BaseException]) -> None:
    barrier.wait()
    try:
        open_state(folder)
    except BaseException as error:  # noqa: BLE001 - collected for the assertion
        failures.append(error)


def test_a_new_folder_opened_by_several_at_once_gets_one_schema(tmp_path: Path) -> None:
    # The server and `atek-store access` (or two servers) may open a new state folder together:
    # each must get the schema made by whichever came first, not "locked" or "table exists".
    for trial in range(10):
        folder = tmp_path / f"state-{trial}"
        barrier = threading.Barrier(6)
        failures: list[BaseException] = []
        threads = [
            threading.Thread(target=_open_together, args=(folder, barrier, failures)) for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert open_state(folder).grants() == []


def test_the_secret_is_made_once_and_private(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    secret = state.secret()
    assert len(secret) >= 32
    assert state.secret() == secret
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
