"""Fault injection: signals, concurrent writers, full disks, read-only folders, odd targets.

The promise (issue 15): whatever happens, an ``--out`` holds either the old set of files or
the new one, whole, and no temporary file; every OS error is one line naming the path and
the cause, exit 1, no traceback. Signals go to a real ``forecast run`` subprocess at points
named by the ``FORECAST_FAULT_POINT`` hook (forecast.write.atomic.fault_point), so each
lands in its window every time; the rest runs in process through click's ``CliRunner``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

import forecast.write.atomic
from forecast.cli.main import cli
from forecast.write.atomic import output_set
from forecast.write.files import RUN_CHARTS, chart_names
from tests.factories import Project

RUN_FILES = ("monthly.csv", "scenario.resolved.toml", "summary.csv")
OLD_ARGS = ("--n-paths", "300", "--seed", "1", "--quiet")
NEW_ARGS = ("--n-paths", "400", "--seed", "2", "--quiet")
ROOT = os.geteuid() == 0  # root ignores permissions: the real read-only cases cannot fail


def _files(folder: Path) -> dict[str, bytes]:
    """Every entry of ``folder`` (hidden ones included) by name; folders as None."""
    return {
        p.name: (p.read_bytes() if p.is_file() else None)  # type: ignore[misc]
        for p in sorted(folder.iterdir())
    }


def _no_temporaries(root: Path) -> None:
    left = [p for p in root.rglob("*") if p.name.endswith(".tmp") or ".forecast-" in p.name]
    assert left == []


def _invoke(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def scenario(project: Project) -> Path:
    return project.scenario("baseline")


@pytest.fixture(scope="module")
def sets(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Reference sets, written once: ``old`` (with charts) and ``new`` (CSVs only)."""
    pytest.importorskip("matplotlib")
    root = tmp_path_factory.mktemp("sets")
    for name, args in (("old", [*OLD_ARGS, "--plot"]), ("new", NEW_ARGS)):
        result = _invoke("run", scenario, *args, "--out", root / name)
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return {"old": root / "old", "new": root / "new"}


@pytest.fixture
def out(sets: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the old set, for a test to overwrite."""
    folder = tmp_path / "out"
    shutil.copytree(sets["old"], folder)
    return folder


def _is_old(out: Path, sets: dict[str, Path]) -> bool:
    return _files(out) == _files(sets["old"])


def _is_new(out: Path, sets: dict[str, Path]) -> bool:
    return _files(out) == _files(sets["new"])


# ---------------------------------------------------------------- signals (subprocesses)


def _start(scenario: Path, out: Path, *extra: str, env: dict[str, str] | None = None):
    args = [sys.executable, "-m", "forecast", "run", str(scenario), *NEW_ARGS, "--out", str(out)]
    return subprocess.Popen(
        [*args, *extra],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(ready: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not ready.exists():
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode} first: {process.stderr.read()}")
        if time.monotonic() > end:
            process.kill()
            raise AssertionError("never reached the fault point")
        time.sleep(0.02)


def _signal_at(point: str, sig: int, scenario: Path, out: Path, tmp_path: Path, *extra: str):
    ready = tmp_path / "ready"
    env = {"FORECAST_FAULT_POINT": point, "FORECAST_FAULT_READY": str(ready)}
    process = _start(scenario, out, *extra, env=env)
    _wait_for(ready, process)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


SIGNAL_EXIT = {signal.SIGTERM: 143, signal.SIGINT: 130}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("point", ["progress", "staged"])
def test_a_signal_before_the_swap_leaves_the_old_set(
    sig, point, scenario, out, sets, tmp_path
) -> None:
    """During the run (after the fit) or with every new file staged, charts included."""
    plot = ("--plot",) if (point, sig) == ("staged", signal.SIGTERM) else ()  # charts staged
    code, stderr = _signal_at(point, sig, scenario, out, tmp_path, *plot)
    assert code == SIGNAL_EXIT[sig], stderr
    assert "Traceback" not in stderr and len(stderr.splitlines()) == 1
    assert _is_old(out, sets)
    _no_temporaries(tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_swap_waits_for_the_new_set(sig, scenario, out, sets, tmp_path) -> None:
    """One file swapped in, the others not yet: the signal is held until all are in (and
    the old charts gone: the new set has none)."""
    code, stderr = _signal_at("swap", sig, scenario, out, tmp_path)
    assert code == SIGNAL_EXIT[sig], stderr
    assert _is_new(out, sets)
    _no_temporaries(tmp_path)


def test_sigkill_leaves_the_old_set_and_the_next_run_sweeps_up(scenario, out, sets, tmp_path):
    """SIGKILL cannot be caught: the old set stays whole; the staging folder it leaves is
    removed by the next writer of the folder."""
    code, _ = _signal_at("staged", signal.SIGKILL, scenario, out, tmp_path)
    assert code == -signal.SIGKILL
    (orphan,) = [name for name in _files(out) if name.startswith(".forecast-")]
    assert {k: v for k, v in _files(out).items() if k != orphan} == _files(sets["old"])
    assert _invoke("run", scenario, *NEW_ARGS, "--out", out).exit_code == 0
    assert _is_new(out, sets)


def test_sigterm_into_a_new_folder_leaves_no_folder(scenario, tmp_path) -> None:
    out = tmp_path / "a" / "b"
    code, _ = _signal_at("staged", signal.SIGTERM, scenario, out, tmp_path)
    assert code == 143
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ready"]


# ---------------------------------------------------------------- concurrent writers


def _lock(folder: Path) -> int:
    """Take the lock a writer of ``folder`` takes (as another forecast would)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_second_writer_waits_for_the_first(scenario, out, sets, tmp_path) -> None:
    ready = tmp_path / "ready"
    fd = _lock(out)  # a writer in the middle of its swap
    env = {"FORECAST_FAULT_POINT": "staged", "FORECAST_FAULT_READY": str(ready)}
    process = _start(scenario, out, env={**env, "FORECAST_FAULT_WAIT": "0"})
    try:
        _wait_for(ready, process)
        time.sleep(0.5)
        assert process.poll() is None  # waiting for the lock
        staging = [name for name in _files(out) if name.startswith(".forecast-")]
        assert len(staging) == 1  # its new set, staged in a hidden folder
        assert {k: v for k, v in _files(out).items() if k not in staging} == _files(sets["old"])
    finally:
        os.close(fd)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert _is_new(out, sets)
    _no_temporaries(tmp_path)


def test_a_writer_that_waits_too_long_fails_clearly(scenario, out, sets, tmp_path) -> None:
    fd = _lock(out)
    try:
        process = _start(scenario, out, env={"FORECAST_LOCK_TIMEOUT": "0.2"})
        _, stderr = process.communicate(timeout=120)
    finally:
        os.close(fd)
    assert process.returncode == 2
    assert stderr == (
        f"error: {out}: another forecast command is writing here (waited 0.2 s); "
        "try again when it has finished\n"
    )
    assert _is_old(out, sets)
    _no_temporaries(tmp_path)


def test_two_runs_writing_one_out_never_mix(scenario, sets, tmp_path) -> None:
    """Started together, one with charts and one without: the folder ends up as exactly
    one of the two sets."""
    out = tmp_path / "out"
    runs = [_start(scenario, out), _start(scenario, out, "--seed", "1", "--n-paths", "300")]
    for process in runs:
        _, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr
    old_csvs = {k: v for k, v in _files(sets["old"]).items() if k in RUN_FILES}
    assert _files(out) in (_files(sets["new"]), old_csvs)
    _no_temporaries(tmp_path)


# ---------------------------------------------------------------- charts


def test_a_failing_chart_leaves_the_old_set(scenario, out, sets, monkeypatch) -> None:
    import forecast.write.charts

    def broken(*args, **kwargs):
        raise RuntimeError("matplotlib fell over")

    monkeypatch.setattr(forecast.write.charts, "_cumulative_figure", broken)
    result = _invoke("run", scenario, *NEW_ARGS, "--plot", "--out", out)
    assert result.exit_code != 0
    assert _is_old(out, sets)
    _no_temporaries(out.parent)


def test_ctrl_c_while_plotting_leaves_the_old_set(scenario, out, sets, monkeypatch) -> None:
    import forecast.write.charts

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(forecast.write.charts, "_distribution_figure", interrupted)
    result = _invoke("run", scenario, *NEW_ARGS, "--plot", "--out", out)
    assert result.exit_code == 130 and result.stderr == "error: interrupted (Ctrl-C)\n"
    assert _is_old(out, sets)
    _no_temporaries(out.parent)


def test_a_run_without_plot_removes_the_old_charts(scenario, out, sets) -> None:
    assert set(chart_names(*RUN_CHARTS)) <= set(_files(out))  # the members are the charts
    result = _invoke("run", scenario, *NEW_ARGS, "--out", out)
    assert result.exit_code == 0
    assert _is_new(out, sets)


def test_files_that_are_not_the_sets_stay(scenario, out) -> None:
    (out / "notes.txt").write_text("mine\n")
    assert _invoke("run", scenario, *NEW_ARGS, "--out", out).exit_code == 0
    assert (out / "notes.txt").read_text() == "mine\n"


# ---------------------------------------------------------------- an --out of another kind


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("compare", "compare.svg"),
        ("compare", "compare.png"),
        ("compare", "ranking.toml"),
        ("sensitivity", "tornado.png"),
        ("sensitivity", "tornado.SVG"),
    ],
)
def test_a_csv_out_named_like_a_chart_is_refused_before_any_work(
    command, name, scenario, tmp_path
) -> None:
    out = tmp_path / "x" / name
    result = _invoke(command, scenario, "--n-paths", "100", "--plot", "--out", out)
    assert result.exit_code == 2
    suffix = name.rsplit(".", 1)[1].lower()
    assert result.stderr.startswith(f"error: --out {out}: names a .{suffix} file, but this")
    assert list(tmp_path.iterdir()) == []


def test_backtest_refuses_one_file_for_two_outputs(scenario, tmp_path) -> None:
    path = tmp_path / "b.csv"
    result = _invoke("backtest", scenario, "--out", path, "--write-calibration", path)
    assert result.exit_code == 2
    assert (
        result.stderr == f"error: --out and --write-calibration both name {path}; give two files\n"
    )


def test_compare_writes_its_table_and_charts_as_one_set(scenario, tmp_path) -> None:
    out = tmp_path / "c" / "ranking.csv"
    result = _invoke("compare", scenario, "--n-paths", "200", "--plot", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(_files(out.parent)) == ["compare.png", "compare.svg", "ranking.csv"]
    result = _invoke("compare", scenario, "--n-paths", "200", "--out", out)
    assert sorted(_files(out.parent)) == ["ranking.csv"]


def test_a_member_that_is_a_folder_is_refused_and_nothing_changes(scenario, out, sets) -> None:
    shutil.rmtree(out / "fan.png") if (out / "fan.png").is_dir() else (out / "fan.png").unlink()
    (out / "fan.png").mkdir()
    before = _files(out)
    result = _invoke("run", scenario, *NEW_ARGS, "--out", out)  # fan.png: an old member
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {out / 'fan.png'}: exists and is not a regular file; not replaced\n"
    )
    assert _files(out) == before


# ---------------------------------------------------------------- OS errors: one line, exit 1


def _one_line(result, *parts: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")
    for part in parts:
        assert part in result.stderr


def test_an_out_below_a_file_cannot_be_created(scenario, tmp_path) -> None:
    (tmp_path / "file").write_text("x")
    result = _invoke("run", scenario, *NEW_ARGS, "--out", tmp_path / "file" / "out")
    _one_line(result, str(tmp_path / "file"), "Not a directory")


@pytest.mark.parametrize("command", ["compare", "sensitivity"])
def test_a_csv_out_below_a_file_cannot_be_created(command, scenario, tmp_path) -> None:
    (tmp_path / "file").write_text("x")
    result = _invoke(command, scenario, "--n-paths", "100", "--out", tmp_path / "file" / "t.csv")
    _one_line(result, str(tmp_path / "file"), "Not a directory")


@pytest.mark.skipif(ROOT, reason="root writes into read-only folders")
def test_a_read_only_out_folder(scenario, out, sets) -> None:
    out.chmod(0o555)
    try:
        result = _invoke("run", scenario, *NEW_ARGS, "--out", out)
    finally:
        out.chmod(0o755)
    _one_line(result, str(out), "Permission denied")
    assert _is_old(out, sets)


def _refuse(monkeypatch, name: str, error: int, *, after: int = 0) -> None:
    """``os.<name>`` fails with ``error`` from its ``after + 1``-th call on (as a full disk,
    a read-only file system or a missing permission would)."""
    real, calls = getattr(os, name), []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) > after:
            raise OSError(error, os.strerror(error))
        return real(*args, **kwargs)

    # only the writing module sees it (not the fit cache's reads, nor the test's own calls)
    patched = types.SimpleNamespace(**{**vars(os), name: failing})
    monkeypatch.setattr(forecast.write.atomic, "os", patched)


@pytest.mark.parametrize(
    ("error", "call", "after"),
    [
        (errno.EACCES, "open", 0),  # a read-only folder, as a user sees it
        (errno.EROFS, "open", 1),  # a read-only file system, after the first file
        (errno.ENOSPC, "fdopen", 2),  # a full disk on the third file
        (errno.EDQUOT, "fdopen", 0),  # over quota
        (errno.ENOSPC, "replace", 1),  # full while swapping (the backup link is free)
        (errno.EIO, "fsync", 1),  # an I/O error saving the second chart
    ],
)
def test_an_os_error_while_writing_is_one_line_and_keeps_the_old_set(
    error, call, after, scenario, out, sets, monkeypatch
) -> None:
    result_args = ("run", scenario, *NEW_ARGS, "--plot", "--out", out)
    monkeypatch.setattr(forecast.write.atomic, "fault_point", lambda name: None)
    _refuse(monkeypatch, call, error, after=after)
    result = _invoke(*result_args)
    monkeypatch.undo()
    _one_line(result, str(out), os.strerror(error))
    assert _is_old(out, sets)
    _no_temporaries(out.parent)


def test_a_file_system_without_hard_links_still_swaps(scenario, out, sets, monkeypatch) -> None:
    """The old files are then moved aside instead of linked (briefly absent, still restored
    on failure)."""
    _refuse(monkeypatch, "link", errno.EPERM)
    result = _invoke("run", scenario, *NEW_ARGS, "--out", out)
    assert result.exit_code == 0, result.output
    assert _is_new(out, sets)
    _no_temporaries(out.parent)


def test_a_full_disk_while_saving_a_chart(scenario, out, sets, monkeypatch) -> None:
    from matplotlib.figure import Figure

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full)
    result = _invoke("run", scenario, *NEW_ARGS, "--plot", "--out", out)
    _one_line(result, "fan.png", "No space left on device")
    assert _is_old(out, sets)
    _no_temporaries(out.parent)


def test_a_file_size_limit_is_one_line(scenario, out, sets) -> None:
    """RLIMIT_FSIZE: writing past it fails with EFBIG (Python ignores SIGXFSZ)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))

    args = [sys.executable, "-m", "forecast", "run", str(scenario), *NEW_ARGS, "--out", str(out)]
    process = subprocess.run(args, capture_output=True, text=True, preexec_fn=limit, timeout=180)
    assert process.returncode == 1, process.stderr
    assert process.stderr.startswith("error: ") and process.stderr.count("\n") == 1
    assert "File too large (the file size limit, ulimit -f)" in process.stderr
    assert _is_old(out, sets)
    _no_temporaries(out.parent)


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("history", ["--out", "{tmp}/h.csv"]),
        ("fit", ["--out", "{tmp}/f.json"]),
        ("targets", ["--out", "{tmp}/t.csv"]),
    ],
)
def test_a_full_disk_for_a_single_file_names_it(command, args, project, tmp_path, monkeypatch):
    _refuse(monkeypatch, "fsync", errno.ENOSPC)
    args = [a.format(tmp=tmp_path) for a in args]
    extra = [] if command == "targets" else ["--data", str(project.data)]
    result = _invoke(command, *extra, *args)
    _one_line(result, args[-1], "No space left on device")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(ROOT, reason="root reads unreadable files")
def test_an_unreadable_scenario_is_one_line(scenario, tmp_path) -> None:
    copy = tmp_path / "s.toml"
    shutil.copy(scenario, copy)
    copy.chmod(0)
    result = _invoke("run", copy, "--out", tmp_path / "o")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert str(copy) in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("method", ["read_text", "read_bytes"])
def test_a_permission_error_on_input_is_one_line(method, scenario, tmp_path, monkeypatch) -> None:
    """As root cannot meet an unreadable file, raise what reading one raises."""
    real = getattr(Path, method)

    def guarded(self, *args, **kwargs):
        if self.name == "deliveries.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, guarded)
    result = _invoke("run", scenario, *NEW_ARGS, "--no-cache", "--out", tmp_path / "o")
    assert result.exit_code in (1, 2) and "Traceback" not in result.output
    assert "deliveries.csv" in result.stderr and "Permission denied" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_an_error_naming_a_control_character_stays_one_line(tmp_path) -> None:
    from forecast.cli.main import os_error_line

    error = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "a\nerror: b"))
    line = os_error_line(error)
    assert "\n" not in line and line.endswith("a\\nerror: b: No space left on device")


# ---------------------------------------------------------------- the output set itself


def test_an_exception_in_the_block_discards_the_set(tmp_path) -> None:
    (tmp_path / "a.csv").write_text("old\n")
    with pytest.raises(ValueError), output_set() as outputs:
        outputs.write(tmp_path / "a.csv", "new\n")
        outputs.write(tmp_path / "sub" / "b.csv", "new\n")
        raise ValueError("boom")
    assert _files(tmp_path) == {"a.csv": b"old\n"}


def test_a_file_written_twice_is_a_mistake(tmp_path) -> None:
    with pytest.raises(ValueError, match="written twice"), output_set() as outputs:
        outputs.write(tmp_path / "a.csv", "1")
        outputs.write(tmp_path / "a.csv", "2")
    assert list(tmp_path.iterdir()) == []


def test_signals_are_held_during_a_swap_and_delivered_after() -> None:
    from forecast.write.atomic import deferred_signals

    reached = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            reached.append("end of the block")  # not interrupted
    assert reached == ["end of the block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_forked_worker_dies_of_sigterm_as_if_no_handler_were_set() -> None:
    """The CLI's SIGTERM handler raises only in the CLI's own process: a forked child (a
    worker) that inherits it is terminated by the signal, as without the handler."""
    from forecast.write import atomic

    previous = signal.getsignal(signal.SIGTERM)
    atomic.handle_sigterm()
    try:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: say it is running (a signal during fork is lost), wait
            os.write(write, b"ready")
            time.sleep(30)
            os._exit(0)
        assert os.read(read, 5) == b"ready"
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
