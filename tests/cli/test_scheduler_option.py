"""``--scheduler``: a malformed address or one nobody answers at is one error line, exit 2."""

from __future__ import annotations

import pytest

from verify.cli import main
from verify.cli.common import scheduler_address
from verify.core.errors import UsageError


@pytest.mark.parametrize(
    "address", ["local", "tcp://10.0.0.5:8786", "10.0.0.5:8786", "tls://[::1]:8786", "ws://h:1"]
)
def test_well_formed_addresses_pass(address):
    assert scheduler_address(address) == address


@pytest.mark.parametrize(
    "address", ["nonsense://", "foo", "tcp://host", "tcp://:8786", "smtp://h:25", "h:0", "h:99999"]
)
def test_malformed_addresses_are_refused(address):
    with pytest.raises(UsageError):
        scheduler_address(address)


@pytest.mark.parametrize("command", ["run", "arena", "mutate"])
def test_malformed_address_is_one_line_before_any_work(command, tmp_path, capsys):
    args = [command, "--scheduler", "nonsense://", "--out", str(tmp_path / "out")]
    if command != "arena":
        args.insert(1, "C.13")
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("verify: error: --scheduler")
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("verify.core.schedule.CONNECT_TIMEOUT", "0.2s")
    # Port 1 on the loopback: nothing listens, the connection is refused at once or times out.
    args = ["run", "C.13", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "out")]
    assert main([*args, "--no-html"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no Dask scheduler answers at tcp://127.0.0.1:1" in err[0]
    assert not (tmp_path / "out").exists()
