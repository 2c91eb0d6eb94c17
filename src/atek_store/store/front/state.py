"""The store front's state folder: grants and the append-only audit log, in SQLite.

One file, ``access.sqlite3``, in WAL mode with ``synchronous=FULL``: every change is a
transaction that is on disk when the call returns, so a crash loses nothing that was
acknowledged, and the server and ``atek-store access`` may write at the same time (writers take
the lock up front with ``BEGIN IMMEDIATE`` and wait up to the busy timeout for each other). The
schema is versioned (``PRAGMA user_version``); a state folder written by a newer atek-store is
refused rather than misread. The audit table refuses UPDATE and DELETE (triggers), so its rows
are a log, not a record that can be rewritten.

The folder also keeps the URL signing secret (``secret``, mode 0600) when none is given on the
command line, so that a restarted server keeps accepting the URLs it handed out. Emails are only
in this folder: pages, URLs and log lines name grants by their id.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from atek_store.atomic import atomic_write_text
from atek_store.errors import StoreError, UsageError

__all__ = [
    "SCHEMA_VERSION",
    "AccessState",
    "AuditEvent",
    "AuditKind",
    "Grant",
    "GrantStatus",
    "GrantUsage",
    "IssuedGrant",
    "open_state",
]

SCHEMA_VERSION = 1
DATABASE = "access.sqlite3"
SECRET_FILE = "secret"  # noqa: S105 - the file name, not a secret
_BUSY_TIMEOUT_MS = 10_000

# One statement each: they run inside the transaction that checked the schema version (a script
# would commit that transaction first, and a second process opening a new folder at the same
# time would then create the tables again).
_SCHEMA = (
    """CREATE TABLE grants (
        id TEXT PRIMARY KEY,
        dataset TEXT NOT NULL,
        email TEXT NOT NULL,
        status TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        decided_at REAL
    )""",
    "CREATE INDEX grants_by_email ON grants (email, dataset)",
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        grant_id TEXT,
        dataset TEXT,
        path TEXT,
        status INTEGER,
        bytes INTEGER,
        length INTEGER,
        detail TEXT
    )""",
    "CREATE INDEX audit_by_grant ON audit (grant_id, kind)",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)
# Tries at switching a new database to WAL while other processes open it too (see _use_wal).
_WAL_ATTEMPTS = 20


class GrantStatus(str, enum.Enum):
    """Where an access grant stands."""

    PENDING = "pending"  # waiting for `atek-store access approve`
    ACTIVE = "active"  # its URLs are served
    REVOKED = "revoked"  # was active; its URLs now answer 403
    DENIED = "denied"  # a pending request the operator refused


class AuditKind(str, enum.Enum):
    """What an audit row records."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REVOKED = "revoked"
    DENIED = "denied"
    JSON = "json"  # a URL JSON was issued for the grant
    FILE = "file"  # a file request signed for the grant was answered


@dataclass(frozen=True)
class AuditEvent:
    """One row of the audit log (its time is the state's clock when it is written)."""

    kind: AuditKind
    grant_id: str | None
    dataset: str | None = None
    path: str | None = None
    status: int | None = None
    bytes_sent: int | None = None
    length: int | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Grant:
    """One access request and its decision."""

    id: str
    dataset: str
    email: str
    status: GrantStatus
    created_at: float
    decided_at: float | None


@dataclass(frozen=True)
class IssuedGrant:
    """A new grant and its claim token (shown to the requester once; only its hash is kept)."""

    grant: Grant
    token: str


@dataclass(frozen=True)
class GrantUsage:
    """Who downloaded what under one grant (the audit summary)."""

    grant: Grant
    jsons: int
    files: int  # distinct files served (200/206)
    complete: int  # distinct files of which at least one answer went out whole
    bytes_sent: int
    refused: int
    last_seen: float | None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def _grant(row: sqlite3.Row) -> Grant:
    return Grant(
        id=row["id"],
        dataset=row["dataset"],
        email=row["email"],
        status=GrantStatus(row["status"]),
        created_at=row["created_at"],
        decided_at=row["decided_at"],
    )


class AccessState:
    """Grants and the audit log of one state folder (see :func:`open_state`).

    Each call opens its own short-lived connection, so one object may be used from many threads
    and processes at once.
    """

    def __init__(self, folder: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self._path = folder / DATABASE
        self._clock = clock

    @contextlib.contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self._path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as error:
            raise StoreError(
                f"cannot open the state database {self._path}: {error}", path=str(self._path)
            ) from error
        try:
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA synchronous = FULL")
            if write:
                db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.rollback()
                raise
            if db.in_transaction:
                db.commit()
        except sqlite3.Error as error:
            raise StoreError(
                f"the state database {self._path} failed: {error}; "
                "check the disk and the folder's permissions",
                path=str(self._path),
            ) from error
        finally:
            db.close()

    def migrate(self) -> None:
        """Create the schema, or check that the folder's schema is one this version reads."""
        self._use_wal()
        with self._connect(write=True) as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the state folder {self.folder} was written by a newer atek-store (schema {version}, "
                    f"this one reads {SCHEMA_VERSION}): upgrade atek-store",
                    path=str(self.folder),
                )
            if version == 0:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        with contextlib.suppress(OSError):
            os.chmod(self._path, 0o600)

    def _use_wal(self) -> None:
        """Put the database in WAL mode (once; it is a property of the file).

        The switch needs an exclusive lock. When several processes open a new folder at once,
        SQLite answers "locked" at once to all but one (waiting could deadlock): those let go of
        the file and look again, by which time the one that won has switched it.
        """
        for attempt in range(_WAL_ATTEMPTS):
            with self._connect() as db:
                if db.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                try:
                    db.execute("PRAGMA journal_mode = WAL")
                    return
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or attempt + 1 == _WAL_ATTEMPTS:
                        raise

    # Grants.

    def create_grant(self, *, dataset: str, email: str, status: GrantStatus) -> IssuedGrant:
        """Record a new access request (``status`` active or pending) and return its claim token."""
        grant = Grant(
            # Hex: a grant id never starts with "-", so it can follow a command-line flag as is.
            id=secrets.token_hex(8),
            dataset=dataset,
            email=email,
            status=status,
            created_at=self._clock(),
            decided_at=self._clock() if status is GrantStatus.ACTIVE else None,
        )
        token = secrets.token_urlsafe(32)
        with self._connect(write=True) as db:
            db.execute(
                "INSERT INTO grants (id, dataset, email, status, token_hash, created_at, decided_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    grant.id,
                    dataset,
                    email,
                    status.value,
                    _token_hash(token),
                    grant.created_at,
                    grant.decided_at,
                ),
            )
            self._audit(db, AuditEvent(AuditKind.REQUESTED, grant.id, dataset=dataset, detail=status.value))
        return IssuedGrant(grant=grant, token=token)

    def grant(self, grant_id: str) -> Grant | None:
        """The grant with this id, or None."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM grants WHERE id = ?", (grant_id,)).fetchone()
        return _grant(row) if row is not None else None

    def grant_by_token(self, token: str) -> Grant | None:
        """The grant a claim token belongs to, or None."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM grants WHERE token_hash = ?", (_token_hash(token),)).fetchone()
        return _grant(row) if row is not None else None

    def grants(
        self, *, dataset: str | None = None, status: GrantStatus | None = None, email: str | None = None
    ) -> list[Grant]:
        """Grants matching every filter given, oldest first."""
        clauses, values = [], []
        for column, value in (
            ("dataset", dataset),
            ("status", status.value if status else None),
            ("email", email),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._connect() as db:
            rows = db.execute(f"SELECT * FROM grants{where} ORDER BY created_at, id", values).fetchall()  # noqa: S608 - fixed column names
        return [_grant(row) for row in rows]

    def decide(self, grant_ids: Sequence[str], status: GrantStatus) -> list[Grant]:
        """Approve (active), revoke or deny grants; returns them as they are now.

        Raises:
            UsageError: an id is unknown, or the change makes no sense (approving a revoked grant).
        """
        allowed = {
            GrantStatus.ACTIVE: {GrantStatus.PENDING, GrantStatus.ACTIVE},
            GrantStatus.REVOKED: {GrantStatus.ACTIVE, GrantStatus.PENDING, GrantStatus.REVOKED},
            GrantStatus.DENIED: {GrantStatus.PENDING, GrantStatus.DENIED},
        }[status]
        kind = {GrantStatus.ACTIVE: AuditKind.APPROVED, GrantStatus.REVOKED: AuditKind.REVOKED}.get(
            status, AuditKind.DENIED
        )
        now = self._clock()
        changed = []
        with self._connect(write=True) as db:
            for grant_id in grant_ids:
                row = db.execute("SELECT * FROM grants WHERE id = ?", (grant_id,)).fetchone()
                if row is None:
                    raise UsageError(f"no grant {grant_id!r} in {self.folder}: see `atek-store access list`")
                current = _grant(row)
                if current.status not in allowed:
                    raise UsageError(
                        f"grant {grant_id} is {current.status.value}; it cannot become {status.value}"
                    )
                if current.status is not status:
                    db.execute(
                        "UPDATE grants SET status = ?, decided_at = ? WHERE id = ?",
                        (status.value, now, grant_id),
                    )
                    self._audit(db, AuditEvent(kind, grant_id, dataset=current.dataset))
                row = db.execute("SELECT * FROM grants WHERE id = ?", (grant_id,)).fetchone()
                changed.append(_grant(row))
        return changed

    # The audit log.

    def record(self, event: AuditEvent) -> None:
        """Append one row to the audit log."""
        with self._connect(write=True) as db:
            self._audit(db, event)

    def _audit(self, db: sqlite3.Connection, event: AuditEvent) -> None:
        db.execute(
            "INSERT INTO audit (at, kind, grant_id, dataset, path, status, bytes, length, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self._clock(),
                event.kind.value,
                event.grant_id,
                event.dataset,
                event.path,
                event.status,
                event.bytes_sent,
                event.length,
                event.detail,
            ),
        )

    def usage(self, *, dataset: str | None = None) -> list[GrantUsage]:
        """Per grant: JSONs issued, files and bytes served, refusals, last activity (oldest grant first)."""
        query = """
            SELECT grant_id,
                SUM(kind = 'json') AS jsons,
                COUNT(DISTINCT CASE WHEN kind = 'file' AND status IN (200, 206) THEN path END) AS files,
                COUNT(DISTINCT CASE WHEN kind = 'file' AND status = 200 AND bytes = length THEN path END)
                    AS complete,
                COALESCE(SUM(CASE WHEN kind = 'file' THEN bytes END), 0) AS bytes_sent,
                SUM(kind = 'file' AND status = 403) AS refused,
                MAX(CASE WHEN kind IN ('file', 'json') THEN at END) AS last_seen
            FROM audit WHERE grant_id IS NOT NULL GROUP BY grant_id
        """
        with self._connect() as db:
            totals = {row["grant_id"]: row for row in db.execute(query).fetchall()}
        usage = []
        for grant in self.grants(dataset=dataset):
            row = totals.get(grant.id)
            usage.append(
                GrantUsage(
                    grant=grant,
                    jsons=int(row["jsons"]) if row else 0,
                    files=int(row["files"]) if row else 0,
                    complete=int(row["complete"]) if row else 0,
                    bytes_sent=int(row["bytes_sent"]) if row else 0,
                    refused=int(row["refused"]) if row else 0,
                    last_seen=row["last_seen"] if row else None,
                )
            )
        return usage

    # The signing secret.

    def secret(self) -> str:
        """The URL signing secret kept in the folder, made (random, 0600) on first use."""
        path = self.folder / SECRET_FILE
        try:
            if path.exists():
                return path.read_text(encoding="ascii").strip()
            value = secrets.token_urlsafe(32)
            atomic_write_text(path, value + "\n", mode=0o600)
        except OSError as error:
            raise StoreError(
                f"cannot read or write the secret {path}: {error.strerror or error}", path=str(path)
            ) from error
        return value


def open_state(
    folder: Path | str, *, create: bool = True, clock: Callable[[], float] = time.time
) -> AccessState:
    """The state of ``folder`` (made, mode 0700, when ``create``), its schema checked or created.

    Raises:
        UsageError: the folder does not exist and ``create`` is False.
        StoreError: the folder or its database cannot be used.
    """
    path = Path(folder)
    if not create and not (path / DATABASE).is_file():
        raise UsageError(
            f"no store front state in {path}: give the --state folder of `atek-store serve`", path=str(path)
        )
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"cannot create the state folder {path}: {error.strerror or error}", path=str(path)
        ) from error
    state = AccessState(path, clock=clock)
    state.migrate()
    return state
