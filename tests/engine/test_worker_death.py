"""Worker processes die with their parent, and a killed worker is one line, not a traceback.

Real processes: ``forecast compare --workers 2`` runs in a subprocess; the tests find its
workers in ``/proc`` (Linux), then kill the parent or a worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecast.engine.parallel import WorkerDied, death_cause, map_ordered
from tests.factories import Project

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds processes in /proc"
)


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            state, ppid = _state(int(entry.name))
            if ppid == pid and state not in ("Z", "X", None):
                found.append(int(entry.name))
    return found


def _state(pid: int) -> tuple[str | None, int | None]:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:  # gone
        return None, None
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    return _state(pid)[0] not in ("Z", "X", None)


def _wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _start_compare(project: Project, tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    """``forecast compare`` of five scenarios at many paths on 2 workers, once both run."""
    # one fit for all (the same data as of the same month): the only pool is the runs'
    names = ("baseline", "capacity", "combined", "launches", "retool")
    args = [sys.executable, "-m", "forecast", "compare"]
    args += [str(project.scenario(name)) for name in names]
    args += ["--n-paths", "400000", "--workers", "2", "--out", str(tmp_path / "c.csv")]
    parent = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []

    def two_workers() -> bool:
        workers[:] = _children(parent.pid)
        return len(workers) == 2 or parent.poll() is not None

    assert _wait_for(two_workers), "no workers started"
    assert parent.poll() is None, parent.communicate()
    time.sleep(0.5)  # the workers are in their jobs
    return parent, workers


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_killing_the_parent_of_compare_leaves_no_worker(
    sig: int, project: Project, tmp_path: Path
) -> None:
    parent, workers = _start_compare(project, tmp_path)
    try:
        os.kill(parent.pid, sig)
        assert parent.wait(timeout=60) != 0
        assert _wait_for(lambda: not any(_alive(w) for w in workers), timeout=10), [
            _state(w) for w in workers
        ]
    finally:
        _kill_leftovers(parent, workers)


def _kill_leftovers(parent: subprocess.Popen, workers: list[int]) -> str:
    """Whatever the test's outcome, leave no process of its own behind; the parent's stderr."""
    for pid in (parent.pid, *workers):
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    return parent.communicate()[1]


def test_a_killed_worker_is_one_line_and_a_nonzero_exit(project: Project, tmp_path: Path) -> None:
    parent, workers = _start_compare(project, tmp_path)
    os.kill(workers[0], signal.SIGKILL)
    try:
        parent.wait(timeout=120)
    finally:
        stderr = _kill_leftovers(parent, workers)
    assert parent.returncode == 2
    assert stderr.splitlines() == [
        "error: a worker process died (killed by signal 9, SIGKILL, as the out-of-memory "
        "killer does): try fewer --workers or fewer paths"
    ]
    assert not (tmp_path / "c.csv").exists()
    assert _wait_for(lambda: not any(_alive(w) for w in workers), timeout=10)


def _die_on_two(x: int) -> int:
    if x == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_map_ordered_turns_a_killed_worker_into_worker_died() -> None:
    with pytest.raises(WorkerDied, match=r"^a worker process died \(killed by signal 9, SIGKILL"):
        map_ordered(_die_on_two, range(4), 2)


@pytest.mark.parametrize(
    ("codes", "cause"),
    [
        ([-15, -9], "killed by signal 9, SIGKILL, as the out-of-memory killer does"),
        ([-15, -15], "killed by signal 15, SIGTERM"),
        ([-15, -11], "killed by signal 11, SIGSEGV"),
        ([0, 3], "exit status 3"),
        ([None], "no exit status"),
    ],
)
def test_death_cause_names_the_signal_that_is_not_the_pools_own_sigterm(
    codes: list[int | None], cause: str
) -> None:
    assert death_cause(codes) == f"a worker process died ({cause})"
