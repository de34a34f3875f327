"""Run independent jobs on worker processes or a dask cluster, results in input order.

``map_ordered(fn, items, workers)`` is ``[fn(item) for item in items]`` computed elsewhere:
``workers`` is a number of local processes, or an :class:`Executor` naming where the jobs
run (``Executor(kind="dask", scheduler="tcp://host:8786")``). Every job is a pure function of
its item (scenario runs seed their own streams), so the result depends on neither: ``--workers
4`` and ``--executor dask`` give the same bytes as ``--workers 1``, only sooner.

``fn`` and the items travel to the workers by pickle: ``fn`` must be a module-level function
(or a ``functools.partial`` of one) and the items plain data (paths, strings, numbers,
arrays). A ``ForecastError`` raised in a worker is re-raised in the caller with its
``problems`` intact; when several jobs fail, the first in input order wins, as in the loop.

Faults become one line, never a traceback, and never leave a process behind:

- a worker that dies (SIGKILL, the out-of-memory killer) stops the map with
  :class:`WorkerDied` naming the signal;
- local workers die with their parent: each sets ``PR_SET_PDEATHSIG`` (Linux) or watches its
  parent's pid, and ignores SIGINT (the terminal sends Ctrl-C to the whole group; the parent
  alone decides). An interrupt or any exception in the parent cancels the pending jobs and
  kills the running ones before it propagates.

dask (``pip install 'forecast[dask]'``) is imported only when an ``Executor`` of kind
``"dask"`` runs. Without a scheduler address a ``LocalCluster`` of ``workers`` processes (one
thread each) starts on first use and is reused by every later map of the process (a sweep
maps many times); it closes at exit. With an address the workers must run the same forecast
version on the same bundled data: :func:`check_workers` compares them before the first job.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from forecast.errors import ForecastError

__all__ = [
    "EXECUTORS",
    "Executor",
    "WorkerDied",
    "as_executor",
    "capacity",
    "check_workers",
    "close_clusters",
    "map_ordered",
    "require_dask",
]

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("processes", "dask")
DASK_HINT = "--executor dask needs dask.distributed: pip install 'forecast[dask]'"
FEWER = "try fewer --workers or fewer paths"  # after a colon: what to do


class WorkerDied(ForecastError):
    """A worker process was killed (or exited) before returning its job's result."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Executor:
    """Where independent jobs run.

    ``kind``: ``"processes"`` (local worker processes; 1 runs a plain loop in this process)
    or ``"dask"`` (a dask.distributed cluster). ``workers``: local processes, or the size of
    the local dask cluster. ``scheduler``: a dask scheduler's address (``tcp://host:8786``);
    None starts a local cluster.
    """

    kind: Literal["processes", "dask"] = "processes"
    workers: int = 1
    scheduler: str | None = None

    def __post_init__(self) -> None:
        _check_workers_count(self.workers)
        if self.kind not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {self.kind!r}")
        if self.scheduler is not None and self.kind != "dask":
            raise ValueError("a scheduler address needs the dask executor")

    @property
    def in_process(self) -> bool:
        """True when jobs run as a plain loop here (one local process)."""
        return self.kind == "processes" and self.workers == 1


def as_executor(workers: int | Executor) -> Executor:
    """``workers`` as an :class:`Executor` (an int is that many local processes)."""
    if isinstance(workers, Executor):
        return workers
    _check_workers_count(workers)
    return Executor(workers=workers)


def capacity(workers: int | Executor) -> int:
    """How many jobs run at once: the local processes, or the dask cluster's worker threads
    (a cluster given by address is asked, which connects to it)."""
    executor = as_executor(workers)
    if executor.kind == "dask" and executor.scheduler is not None:
        threads = _client(executor).nthreads()
        return max(1, sum(threads.values()))
    return executor.workers


def _check_workers_count(workers: object) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")


def map_ordered(fn: Callable[[T], R], items: Iterable[T], workers: int | Executor = 1) -> list[R]:
    """``[fn(item) for item in items]``, computed by worker processes or a dask cluster.

    Parameters
    ----------
    fn : callable
        A picklable function of one item (module-level, or a ``functools.partial`` of one).
    items : iterable
        Picklable inputs.
    workers : int or Executor
        Local processes to use (1, or a single item, runs a plain loop in this process), or
        an ``Executor``.

    Returns
    -------
    list
        ``fn(item)`` for each item, in the order of ``items``.

    Raises
    ------
    ForecastError
        The first job's error in input order, as the loop would raise it.
    WorkerDied
        A worker was killed before it returned (one line, naming the signal).
    """
    executor = as_executor(workers)
    items = list(items)
    if executor.in_process or (executor.kind == "processes" and len(items) <= 1) or not items:
        return [fn(item) for item in items]
    if executor.kind == "dask":
        outcomes = _map_dask(_Guarded(fn), items, executor)
    else:
        outcomes = _map_processes(_Guarded(fn), items, min(executor.workers, len(items)))
    return [cast(R, _unwrap(outcome)) for outcome in outcomes]


# ---------------------------------------------------------------- carrying errors back


@dataclass(frozen=True, slots=True, kw_only=True)
class _Failed:
    """A ``ForecastError`` from a worker, carried back as data (its class and problems)."""

    error_type: type[ForecastError]
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Guarded:
    """``fn`` with ``ForecastError`` turned into a ``_Failed`` value.

    A pickled exception is rebuilt from its message alone, which would join its problems
    into one line; sending the problems as data keeps one line per problem.
    """

    fn: Callable

    def __call__(self, item: object) -> object:
        try:
            return self.fn(item)
        except ForecastError as error:
            return _Failed(error_type=type(error), problems=error.problems)


def _unwrap(outcome: object) -> object:
    if isinstance(outcome, _Failed):
        raise outcome.error_type(outcome.problems)
    return outcome


# ---------------------------------------------------------------- local processes


def _map_processes(fn: Callable, items: Sequence, workers: int) -> list:
    """``fn`` over ``items`` on ``workers`` local processes that die with this one."""
    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(os.getpid(),)
    )
    processes: dict = {}
    try:
        futures = [pool.submit(fn, item) for item in items]
        processes.update(pool._processes or {})  # the workers, to read how they ended
        outcomes = [_result(future, pool, processes) for future in futures]
    except BaseException:  # an interrupt, SIGTERM turned into an exception, a worker's death
        _stop(pool, processes)
        raise
    pool.shutdown()
    return outcomes


def _result(future: Future, pool: ProcessPoolExecutor, processes: dict) -> object:
    try:
        return future.result()
    except BrokenProcessPool:
        processes.update(pool._processes or {})
        pool.shutdown(wait=True)  # the pool's own thread reaps the workers: exit codes known
        cause = death_cause(p.exitcode for p in processes.values())
        raise WorkerDied(f"{cause}: {FEWER}") from None


def _stop(pool: ProcessPoolExecutor, processes: dict) -> None:
    """Cancel pending jobs and kill running workers: nothing outlives the map."""
    processes.update(pool._processes or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        if process.exitcode is None:
            process.kill()
    for process in processes.values():
        process.join(timeout=5)


def death_cause(exit_codes: Iterable[int | None]) -> str:
    """What killed a worker, from the exit codes of the pool's processes.

    When one worker dies the pool sends SIGTERM to the others, so a signal other than
    SIGTERM names the cause; SIGTERM only if that is all there is.
    """
    exit_codes = list(exit_codes)
    signals = [-code for code in exit_codes if code is not None and code < 0]
    codes = [code for code in exit_codes if code]
    cause = next((s for s in signals if s != signal.SIGTERM), signals[0] if signals else None)
    if cause is None:
        detail = f"exit status {codes[0]}" if codes else "no exit status"
        return f"a worker process died ({detail})"
    name = signal.Signals(cause).name if cause in signal.Signals._value2member_map_ else "?"
    oom = ", as the out-of-memory killer does" if cause == signal.SIGKILL else ""
    return f"a worker process died (killed by signal {cause}, {name}{oom})"


def _init_worker(parent: int) -> None:
    """Run in each worker as it starts: die with ``parent``, leave Ctrl-C to it.

    SIGINT is ignored (the terminal sends it to the whole process group; the parent stops
    the workers itself) and SIGTERM restored to its default (a handler inherited from the
    parent by fork must not keep a worker alive).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux") and os.getppid() == parent:
        _set_parent_death_signal(signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)
    else:  # started by a fork server, or not Linux: watch the parent's pid
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _set_parent_death_signal(sig: int) -> None:
    import ctypes

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    while True:
        time.sleep(interval)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the pid now belongs to another user's process
            os._exit(1)


# ---------------------------------------------------------------- dask


_CLIENTS: dict[tuple[int, str | None], Any] = {}
_LOCK = threading.Lock()


def require_dask() -> None:
    """Raise a one-line ``ForecastError`` naming the extra when dask.distributed is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ForecastError(DASK_HINT) from None


def _map_dask(fn: Callable, items: Sequence, executor: Executor) -> list:
    from distributed import KilledWorker

    client = _client(executor)
    futures = client.map(fn, items, pure=False)
    try:
        return cast(list, client.gather(futures))
    except KilledWorker as error:
        raise WorkerDied(f"a dask worker died running a job ({error.args[0]}): {FEWER}") from None
    except BaseException:  # an interrupt: the workers drop the jobs, quietly
        _quiet_dask()
        client.cancel(futures)
        raise


def _client(executor: Executor) -> Any:
    """The process's client for ``executor``: connected (and checked) once, then reused."""
    key = (executor.workers, executor.scheduler)
    with _LOCK:
        if key not in _CLIENTS:
            require_dask()
            if not _CLIENTS:
                # registered after distributed's own exit hook, so it runs first
                atexit.register(close_clusters)
            _CLIENTS[key] = None  # a cluster interrupted while starting is closed too
            _CLIENTS[key] = _connect(executor)
        return _CLIENTS[key]


def _connect(executor: Executor) -> Any:
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)  # no chatter on stderr
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")  # nor from local workers
    if executor.scheduler is None:
        # SIGINT ignored is inherited: Ctrl-C in the terminal reaches this process alone
        with _sigint_ignored(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cluster = LocalCluster(
                n_workers=executor.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",  # this machine only
                dashboard_address="127.0.0.1:0",  # the scheduler serves HTTP: any free port
                worker_dashboard_address=None,
            )
        return Client(cluster)
    try:
        client = Client(executor.scheduler, timeout=10)
    except (OSError, TimeoutError, ValueError) as error:
        raise ForecastError(f"--scheduler {executor.scheduler}: cannot connect ({error})") from None
    check_workers(client)
    return client


def _quiet_dask() -> None:
    """No log lines from dask or asyncio from here on: after an interrupt, or at exit, the
    interrupted gather's tasks and the closing cluster would complain on stderr."""
    import logging

    for name in ("distributed", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while the local cluster's worker processes start.

    The terminal sends Ctrl-C to the whole process group; a dask worker that gets it prints
    a traceback. A process started while SIGINT is ignored keeps ignoring it (exec keeps an
    ignored signal ignored, and Python then installs no handler), so only this process
    hears Ctrl-C and stops the cluster. The price: Ctrl-C during the few seconds of the
    cluster's start is not heard.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def close_clusters() -> None:
    """Close every client and every local cluster this process started, quietly.

    Also after an interrupt, when a cluster may be half started or half closed: whatever
    fails to close is left to die with this process (dask's workers watch their parent),
    rather than printing a traceback at exit.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # exiting: a second Ctrl-C must not
        # interrupt the closing (a traceback, and workers left to find out by themselves)
    with _LOCK:
        clients = [client for client in _CLIENTS.values() if client is not None]
        _CLIENTS.clear()
    _quiet_dask()
    for client in clients:
        with contextlib.suppress(Exception):
            client.close(timeout=5)
    from distributed.deploy.spec import SpecCluster

    for cluster in list(SpecCluster._instances):
        with contextlib.suppress(Exception):
            cluster.close(timeout=5)
        SpecCluster._instances.discard(cluster)  # not again in distributed's own exit hook


def identity() -> tuple[str, str]:
    """This installation's forecast version and a hash of its bundled data and scenarios."""
    from forecast import __version__
    from forecast.load import paths

    digest = hashlib.sha256()
    for root in (paths.DATA, paths.SCENARIOS):
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".csv", ".md", ".toml")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return __version__, digest.hexdigest()[:16]


def check_workers(client: Any) -> None:
    """Fail with one line per worker whose forecast version or bundled data differ from
    this machine's (the results would not be this version's answers); or if none run."""
    here = identity()
    theirs = client.run(identity)
    if not theirs:
        raise ForecastError(f"--scheduler {client.scheduler.address}: no workers connected")
    problems = [
        f"dask worker {address}: forecast {version} with bundled data {data}, but this "
        f"machine has forecast {here[0]} with bundled data {here[1]}: install the same "
        "version on every worker"
        for address, (version, data) in sorted(theirs.items())
        if tuple((version, data)) != here
    ]
    if problems:
        raise ForecastError(problems)
