"""The CLI contract beyond test_cli.py: every class of bad input is one line and exit 2 before
any computing, an interrupted run loses nothing, --version, describe, help, closed pipes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verify.cli import build_parser, main
from verify.cli import common as cli_common

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "verify", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
    )


def _assert_one_line_exit_2(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("verify: error:"), result.stderr
    assert "Traceback" not in result.stderr


C16_POINT = ["eps=0.5", "sigma=1", "theta=0.1", "x=0.3"]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["run", "C.16", "--set", "C.16.prefactor=1e400"], id="set-overflow"),
        pytest.param(["run", "C.16", "--set", "C.16.prefactor=1e100000"], id="set-huge-exponent"),
        pytest.param(["run", "C.16", "--set", "C.16.prefactor=1e-99999999"], id="set-tiny"),
        pytest.param(["run", "C.16", "--set", "C.16.prefactor=" + "1" * 500], id="set-too-long"),
        pytest.param(["run", "C.16", "--set", "C.16.prefactor=1/0"], id="set-div-zero"),
        pytest.param(
            ["run", "C.16", "--set", "C.16.prefactor=1", "--set", "C.16.prefactor=2"],
            id="set-repeated",
        ),
        pytest.param(["run", "C.9", "--set", "C.16.prefactor=2"], id="set-lemma-not-in-run"),
        pytest.param(["run", "C.9", "--seed", str(2**32)], id="seed-too-large"),
        pytest.param(["run", "C.9", "--seed", "1.5"], id="seed-not-int"),
        pytest.param(["mutate", "--seed", str(2**40)], id="mutate-seed-too-large"),
        pytest.param(["check", "C.16", "eps=1", "eps=2", "sigma=1", "theta=0", "x=0"], id="rep"),
        pytest.param(["check", "C.16", *C16_POINT, "y=1"], id="unknown-param-domain"),
        pytest.param(
            ["check", "C.9", "breakpoints=[]", 'slopes=["3/2"]', "value=0", "extra=1"],
            id="unknown-param-examples",
        ),
        pytest.param(["check", "C.16", "eps=1e400", "sigma=1", "theta=0", "x=0"], id="pt-inf"),
        pytest.param(
            ["check", "C.16", "eps=1" + "0" * 5000, "sigma=1", "theta=0", "x=0"], id="pt-bigint"
        ),
        pytest.param(["check", "C.16", *C16_POINT, "--set", "C.9.size_factor=4"], id="chk-set"),
        pytest.param(["describe", "X.99"], id="describe-unknown"),
        pytest.param(["check", "C.16", "--precision", "8", *C16_POINT], id="precision"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, tmp_path, monkeypatch, capsys):
    """Through ``main`` in this process, the function ``python -m verify`` calls (the real
    process is checked by test_bad_out_subprocess_is_one_line and test_version_and_python_dash_m):
    an exception escaping ``main`` fails the test as a traceback would; a fresh working folder,
    so a run that wrongly went ahead writes nothing into the checkout."""
    monkeypatch.chdir(tmp_path)
    code = main(list(args))
    err = capsys.readouterr().err
    _assert_one_line_exit_2(subprocess.CompletedProcess(args, code, "", err))


@pytest.mark.parametrize("kind", ["file", "under-file", "unwritable"])
def test_bad_out_is_refused_before_any_lemma_runs(kind, tmp_path, monkeypatch, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep")
    if kind == "unwritable":
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        out = locked / "out"
        if os.geteuid() == 0:  # root writes anywhere a mode bit forbids; not in /proc
            if not Path("/proc/self").exists():
                pytest.skip("root writes anywhere and there is no /proc")
            out = Path("/proc/verify-cli-test/out")
    else:
        out = afile if kind == "file" else afile / "out"
    import verify.core.runner

    def no_lemma(*args, **kwargs):
        raise AssertionError("a lemma ran before --out was checked")

    monkeypatch.setattr(verify.core.runner, "run_lemma", no_lemma)
    from verify.core.registry import all_lemmas

    all_lemmas()  # import the lemmas first, so the clock measures the refusal only
    started = time.monotonic()
    assert main(["run", "C.16", "--out", str(out), "--no-html"]) == 2
    assert time.monotonic() - started < 1.0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("verify: error: --out"), err
    assert afile.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["afile"] + (["locked"] if kind == "unwritable" else [])
    )


def test_bad_out_subprocess_is_one_line(tmp_path):
    """One real process (the interpreter adds no traceback to the one line); a folder under a
    file, and the other kinds, are test_bad_out_is_refused_before_any_lemma_runs's, in
    process."""
    afile = tmp_path / "afile"
    afile.write_text("keep")
    _assert_one_line_exit_2(_run("run", "C.16", "--out", str(afile)))
    assert afile.read_text() == "keep"


@pytest.mark.parametrize("args", [["list"], ["describe", "C.16"], ["--help"]])
def test_closed_pipe_is_quiet(args):
    """``verify list | head -1``: no traceback, no 'Exception ignored' line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "verify", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert stderr == ""
    assert proc.returncode in (0, 141)


def test_version_and_python_dash_m():
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("verify ") and result.stdout.strip() != "verify"


def test_every_option_of_every_command_has_help():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and "run" in a.choices)
    # regress and report belong to another owner's task; the rest are checked here.
    for name in ("list", "describe", "run", "check", "mutate"):
        for action in subparsers.choices[name]._actions:
            assert action.help, f"verify {name} {action.dest} has no help line"
    assert (
        "[0, 4294967295]"
        in subparsers.choices["run"].format_help().replace("\n", " ").replace("  ", " ")
        or "4294967295" in subparsers.choices["run"].format_help()
    )


def test_mirrored_constants_agree_with_core():
    from verify.core.contract import PROFILES
    from verify.core.numbers import DEFAULT_PRECISION, MAX_PRECISION

    assert cli_common.PROFILES == PROFILES
    assert cli_common.DEFAULT_PRECISION == DEFAULT_PRECISION
    assert cli_common.MAX_PRECISION == MAX_PRECISION


def test_describe_domain_and_string_domain(capsys):
    assert main(["describe", "C.16"]) == 0
    out = capsys.readouterr().out
    assert "eps in (0, 1]" in out and "subject to theta < eps" in out
    assert "prefactor = 1" in out and "verify check C.16 eps=" in out
    assert main(["describe", "C.9"]) == 0
    out = capsys.readouterr().out
    assert "breakpoints: 0 to 63 reals" in out and "verify check C.9 " in out


def test_describe_a_lemma_with_a_string_domain(capsys, monkeypatch):
    import dataclasses

    from verify.core import registry

    c9 = registry.get("C.9")
    words = dataclasses.replace(c9, domain="breakpoints increasing, slopes one more")
    monkeypatch.setitem(registry.all_lemmas(), "C.9", words)
    assert main(["describe", "C.9"]) == 0
    out = capsys.readouterr().out
    assert "domain: breakpoints increasing, slopes one more" in out
    assert "breakpoints, slopes, value" in out and "verify check C.9 " in out


def test_describe_example_call_runs(capsys):
    import shlex

    from verify.cli.describe import example_call
    from verify.core.registry import get

    call = shlex.split(example_call(get("C.16")))
    assert main(call[1:]) == 0


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from verify.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'hypothesis', 'flint', 'lemmas') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env()
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) that process ``pid`` has used, from /proc; None without it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_until_computing(proc: subprocess.Popen, staging_parent: Path, timeout: float) -> None:
    """Until the run is computing: its staging folder appears once every input is checked, and
    once it has used 0.1 CPU-s more the process is past the few instructions between making
    that folder and the ``try`` that removes it on a signal. Events, not a fixed delay: a fixed
    sleep only adds the child's computing to the test's cost (without /proc, 0.5 s)."""
    deadline = time.monotonic() + timeout
    while (
        proc.poll() is None
        and time.monotonic() < deadline
        and not any(p.name.startswith(".D.tmp-") for p in staging_parent.iterdir())
    ):
        time.sleep(0.02)
    at_folder = _cpu_seconds(proc.pid)
    if at_folder is None:
        time.sleep(0.5)
        return
    while proc.poll() is None and time.monotonic() < deadline:
        used = _cpu_seconds(proc.pid)
        if used is None or used >= at_folder + 0.1:
            return
        time.sleep(0.02)


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_leaves_previous_output(tmp_path, signum, code, capsys):
    """The previous output comes from a fast run in this process (what it holds does not
    matter, only that it is left as it was); the interrupted run is a real process, C.16 with
    the thorough profile (2000 examples: far longer than the wait before the signal)."""
    out = tmp_path / "D"
    assert main(["run", "H.9", "--out", str(out), "--no-html", "--no-plots"]) == 0
    capsys.readouterr()
    before = _snapshot(out)
    assert "results.json" in before
    siblings = sorted(p.name for p in tmp_path.iterdir())
    args = ["run", "C.16", "--out", str(out), "--no-html", "--profile", "thorough"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "verify", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        # As from a shell: an earlier test in this worker may have left SIGINT ignored, and an
        # ignored SIGINT is inherited, so Python would install no Ctrl-C handler at all.
        preexec_fn=_default_sigint,
    )
    _wait_until_computing(proc, tmp_path, timeout=60)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    assert b"Traceback" not in stderr
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == siblings


def test_rerun_swaps_in_new_output_without_strays(tmp_path, capsys):
    out = tmp_path / "D"
    out.mkdir()
    (out / "results.json").write_text("{}")  # an earlier output (anything else is refused)
    (out / "stale.txt").write_text("old")
    # H.9, the cheapest lemma (0.07 s against C.16's 1.1 s): the swap does not depend on it
    assert main(["run", "H.9", "--out", str(out), "--no-html", "--seed", "3"]) == 0
    assert not (out / "stale.txt").exists()
    assert (out / "results.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["D"]
    err = capsys.readouterr().err
    assert "[1/1] H.9" in err and "elapsed" in err


def test_console_main_flushes_then_ends_without_the_teardown(tmp_path):
    """The ``verify`` script ends the process with main's code once main returns: its output
    is all there, written files are complete, and what the interpreter's teardown would run
    (an atexit handler here) does not run."""
    code = (  # torch deferred, as python -m verify does: only what a command uses is loaded
        "import atexit, sys\n"
        "atexit.register(lambda: print('teardown ran'))\n"
        "from verify.cli.common import defer_torch\n"
        "defer_torch()\n"
        "from verify.cli import console_main\n"
        "sys.argv = ['verify', *sys.argv[1:]]\n"
        "console_main()\n"
    )
    out = tmp_path / "out"
    listed = subprocess.run(
        [sys.executable, "-c", code, "list"], capture_output=True, text=True, env=_env()
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("\n") >= 40 and "teardown ran" not in listed.stdout
    assert "Thm.1.8" in listed.stdout  # the last lines were flushed
    # A command that writes files (the report of the committed baseline: every lemma's page)
    baseline = ROOT / "reports" / "baseline.json"
    wrote = subprocess.run(
        [sys.executable, "-c", code, "report", "--results", str(baseline), "--out", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stdout.rstrip().endswith("report.md") and "teardown ran" not in wrote.stdout
    assert (out / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert (out / "report.md").stat().st_size > 1000
    missing = str(tmp_path / "none.json")
    bad = subprocess.run(
        [sys.executable, "-c", code, "report", "--results", missing, "--out", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert bad.returncode == 2 and bad.stderr.startswith("verify: error: ")
