"""``atek-store access``: list, approve, revoke, deny and summarise a state folder's grants."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store.cli import main
from atek_store.store.front.state import AuditEvent, AuditKind, GrantStatus, open_state


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    state = open_state(tmp_path / "state")
    active = state.create_grant(dataset="ADT", email="ada@uni.edu", status=GrantStatus.ACTIVE).grant
    state.create_grant(dataset="ADT", email="bob@uni.edu", status=GrantStatus.PENDING)
    state.record(AuditEvent(AuditKind.JSON, active.id, dataset="ADT"))
    state.record(
        AuditEvent(
            AuditKind.FILE,
            active.id,
            dataset="ADT",
            path="c/s/a.tar",
            status=200,
            bytes_sent=2_000_000,
            length=2_000_000,
        )
    )
    return tmp_path / "state"


def grant_of(state_dir: Path, email: str) -> str:
    return open_state(state_dir).grants(email=email)[0].id


def test_list_shows_grants_and_filters_by_status(state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "list", "--state", str(state_dir)]) == 0
    out = capsys.readouterr().out
    assert "ada@uni.edu" in out
    assert "bob@uni.edu" in out
    assert "2 grant(s)" in out
    assert main(["access", "list", "--state", str(state_dir), "--status", "pending"]) == 0
    out = capsys.readouterr().out
    assert "bob@uni.edu" in out
    assert "ada@uni.edu" not in out


def test_approve_then_revoke_by_email(state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bob = grant_of(state_dir, "bob@uni.edu")
    assert main(["access", "approve", "--state", str(state_dir), bob]) == 0
    assert f"{bob}  ADT  active" in capsys.readouterr().out
    assert main(["access", "revoke", "--state", str(state_dir), "--email", "bob@uni.edu"]) == 0
    assert open_state(state_dir).grant(bob).status is GrantStatus.REVOKED  # type: ignore[union-attr]


def test_deciding_an_unknown_or_nothing_is_a_usage_error(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["access", "revoke", "--state", str(state_dir), "no-such-grant"]) == 2
    assert "no grant 'no-such-grant'" in capsys.readouterr().err
    assert main(["access", "deny", "--state", str(state_dir)]) == 2
    ada = grant_of(state_dir, "ada@uni.edu")
    assert main(["access", "deny", "--state", str(state_dir), ada]) == 2
    assert "cannot become denied" in capsys.readouterr().err


def test_a_missing_state_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "list", "--state", str(tmp_path / "none")]) == 2
    assert "--state" in capsys.readouterr().err


def test_summary_says_who_downloaded_what(state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "summary", "--state", str(state_dir)]) == 0
    out = capsys.readouterr().out
    ada_line = next(line for line in out.splitlines() if "ada@uni.edu" in line)
    assert "2.0 MB" in ada_line
    assert "total: 2 grant(s) of 2 requester(s), 1 JSON(s) issued, 1 file(s) served, 2.0 MB sent" in out


def test_email_flags_find_the_address_however_its_domain_is_written(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The front stores the address with its domain lower-cased; an operator copying it from a
    # mail header may not.
    assert main(["access", "list", "--state", str(state_dir), "--email", " ada@UNI.edu "]) == 0
    assert "1 grant(s)" in capsys.readouterr().out
    assert main(["access", "revoke", "--state", str(state_dir), "--email", "ada@Uni.Edu"]) == 0
    assert open_state(state_dir).grant(grant_of(state_dir, "ada@uni.edu")).status is GrantStatus.REVOKED  # type: ignore[union-attr]
    assert main(["access", "list", "--state", str(state_dir), "--email", "not an address"]) == 2
    assert "--email" in capsys.readouterr().err
