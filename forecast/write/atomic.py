"""Write files whole or not at all, and sets of files together or not at all.

A single file goes through a temporary file beside it, renamed into place (``atomic_open``).
A command's outputs (CSVs, the resolved scenario, charts) are one ``OutputSet``: everything
is written into a staging folder beside the targets, then swapped in while SIGINT and
SIGTERM are held back, under an advisory lock on the target folder, so that

- a failure or a signal before the swap leaves the old set as it was and no temporary file;
- a signal during the swap is delivered once the swap is complete (or rolled back);
- two commands writing one folder swap one after the other, never interleaved: the second
  waits for the lock (``LOCK_TIMEOUT`` seconds at most, then fails with one clear line);
- a member of the set that the new set does not write (a chart of an earlier ``--plot``) is
  removed with the swap, so old charts never sit beside new CSVs.

The lock is ``flock`` on the target folder itself (the folder is its own lock file: nothing
is left behind). A writer killed outright (SIGKILL, the out-of-memory killer) cannot clean
up: it leaves the old set whole and a hidden ``.forecast-<pid>-*.tmp`` staging folder,
which the next writer of that folder removes. SIGTERM becomes the ``Terminated`` exception in the CLI
(``handle_sigterm``), so every cleanup runs as it does for Ctrl-C.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

from forecast.errors import ForecastError

__all__ = [
    "LOCK_TIMEOUT",
    "OutputSet",
    "Terminated",
    "atomic_open",
    "deferred_signals",
    "fault_point",
    "folder_lock",
    "handle_sigterm",
    "output_set",
    "temp_beside",
    "write_new_folder",
    "write_text_atomic",
]

LOCK_TIMEOUT = 60.0
"""Seconds a writer waits for another writer of the same folder (``$FORECAST_LOCK_TIMEOUT``)."""

STAGING_PREFIX = ".forecast-"
BACKUP = ".old"  # inside a staging folder: the replaced files, until the swap is done


class Terminated(BaseException):  # noqa: N818 (named for what happened, like KeyboardInterrupt)
    """SIGTERM, raised in the main thread so that every ``finally`` runs."""


# ---------------------------------------------------------------- signals


_MAIN_PID: int | None = None


def handle_sigterm() -> None:
    """Turn SIGTERM into ``Terminated`` in this process (the CLI calls it once).

    A forked child (a worker) inherits the handler; there it restores the default and
    terminates, as if no handler had been installed.
    """
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: object) -> None:
    if os.getpid() != _MAIN_PID:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise Terminated("terminated by SIGTERM")


_held: list[int] = []  # signals caught while deferred_signals is active


@contextlib.contextmanager
def deferred_signals(signals: Iterable[int] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Hold ``signals`` back during the block and deliver them, once each, after it.

    Outside the main thread (where handlers cannot be set) the block runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in signals}
    for s in previous:
        signal.signal(s, lambda signum, frame: _held.append(signum))
    try:
        yield
    finally:
        caught = list(dict.fromkeys(_held))
        _held.clear()
        for s, handler in previous.items():
            if handler is not None:
                signal.signal(s, handler)
        for s in caught:
            signal.raise_signal(s)


def fault_point(name: str) -> None:
    """A hook for the fault-injection tests (tests/write/test_faults.py); a no-op unless
    ``$FORECAST_FAULT_POINT`` is ``name``.

    Then the process writes the file ``$FORECAST_FAULT_READY`` on reaching the point and
    waits there ``$FORECAST_FAULT_WAIT`` seconds (default 5; less if a held signal
    arrives), so that a test can send a signal at exactly this moment. The points:
    ``progress`` (after the fit, before simulating), ``staged`` (every file of the set
    written, before the swap) and ``swap`` (the first file swapped in, the others not yet).
    """
    if os.environ.get("FORECAST_FAULT_POINT") != name:
        return
    ready = os.environ.get("FORECAST_FAULT_READY")
    if ready:
        Path(ready).write_text(name, encoding="utf-8")
    end = time.monotonic() + float(os.environ.get("FORECAST_FAULT_WAIT") or 5.0)
    while time.monotonic() < end and not _held:
        time.sleep(0.01)


# ---------------------------------------------------------------- one file


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it into place.

    A failure inside the block removes the temporary file and leaves any old ``path``
    untouched, so readers never see a half-written file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_beside(path)
    try:
        text = "b" not in mode
        with os.fdopen(
            fd, mode, encoding="utf-8" if text else None, newline="" if text else None
        ) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise _named(error, path) from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def temp_beside(path: Path) -> tuple[int, str]:
    """A temporary file in ``path``'s folder (so the rename is atomic), with the permissions
    a plain ``open()`` would give: ``mkstemp`` alone makes it readable by the owner only."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def _named(error: OSError, path: Path) -> OSError:
    """``error`` naming ``path`` when it names no file (a full disk during a write)."""
    if error.filename is not None:
        return error
    named = OSError(error.errno, error.strerror or str(error), str(path))
    named.__cause__ = error
    return named


# ---------------------------------------------------------------- a set of files


@contextlib.contextmanager
def folder_lock(folder: Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive advisory lock (``flock``) on ``folder`` during the block.

    Waits for another holder up to ``timeout`` seconds (default ``LOCK_TIMEOUT``, or
    ``$FORECAST_LOCK_TIMEOUT``), then raises ``ForecastError``. A file system that cannot
    lock a folder is written without the lock.
    """
    if timeout is None:
        timeout = float(os.environ.get("FORECAST_LOCK_TIMEOUT") or LOCK_TIMEOUT)
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except PermissionError:  # a folder we may write but not list: no lock to take
        yield
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ForecastError(
                        f"{folder}: another forecast command is writing here "
                        f"(waited {timeout:g} s); try again when it has finished"
                    ) from None
                time.sleep(0.05)
            except OSError as error:
                if error.errno in (errno.ENOLCK, errno.EINVAL, errno.EOPNOTSUPP):
                    break  # no locks on this file system
                raise
        yield
    finally:
        os.close(fd)


class _Stage:
    """The staging folder of one target folder."""

    def __init__(self, folder: Path, members: Iterable[str]) -> None:
        self.folder = folder
        self.members = set(members)
        if folder.is_dir():
            self.top: Path | None = None  # the folder exists: files are swapped in one by one
            prefix = f"{STAGING_PREFIX}{os.getpid()}-"
            self.root = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=folder))
            self.inner = self.root
        else:  # build the missing folders too and rename the outermost into place
            top = folder
            while not os.path.lexists(top.parent):
                top = top.parent
            for path in (top, top.parent):  # a file where a folder must be
                if os.path.exists(path) and not path.is_dir():
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
            self.top = top
            self.root = Path(
                tempfile.mkdtemp(prefix=f".{top.name}.", suffix=".tmp", dir=top.parent)
            )
            self.root.chmod(0o777 & ~_umask())  # as mkdir would make it, not mkdtemp's 0700
            self.inner = self.root / folder.relative_to(top)
            self.inner.mkdir(parents=True, exist_ok=True)

    def names(self) -> list[str]:
        return sorted(p.name for p in self.inner.iterdir() if p.name != BACKUP)

    def commit(self) -> None:
        if self.top is not None:
            with folder_lock(self.top.parent), deferred_signals():
                if not self.top.exists():
                    os.rename(self.root, self.top)
                    return
            # another writer made the folder meanwhile: swap the files in like theirs
            self.folder.mkdir(parents=True, exist_ok=True)
        with folder_lock(self.folder), deferred_signals():
            _swap(self.inner, self.folder, self.names(), self.members, self.root / BACKUP)
            _remove_orphans(self.folder)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _swap(source: Path, folder: Path, names: list[str], members: set[str], backup: Path) -> None:
    """Move ``names`` from ``source`` into ``folder`` and remove the ``members`` not among
    them; on any failure put every replaced file back (all or nothing)."""
    stale = sorted(m for m in members - set(names) if os.path.lexists(folder / m))
    for name in names + stale:
        target = folder / name
        if os.path.lexists(target) and not stat.S_ISREG(os.lstat(target).st_mode):
            raise ForecastError(f"{target}: exists and is not a regular file; not replaced")
    backup.mkdir()
    done: list[tuple[Path, Path | None]] = []  # (target, its old file kept in backup)
    try:
        for i, name in enumerate(names + stale):
            target, saved = folder / name, None
            if os.path.lexists(target):
                saved = backup / name
                try:
                    os.link(target, saved, follow_symlinks=False)
                except OSError:  # no hard links here: move it aside (briefly absent)
                    os.rename(target, saved)
            done.append((target, saved))
            if name in stale:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)
            else:
                os.replace(source / name, target)
            if i == 0:
                fault_point("swap")
    except BaseException:
        for target, saved in reversed(done):
            with contextlib.suppress(OSError):
                if saved is not None:
                    os.replace(saved, target)
                elif os.path.lexists(target):
                    os.unlink(target)
        raise


def _remove_orphans(folder: Path) -> None:
    """Remove the staging folders of writers that died unable to clean up (SIGKILL, the
    out-of-memory killer): named ``.forecast-<pid>-...`` after a process that is gone."""
    for path in folder.glob(f"{STAGING_PREFIX}*-*.tmp"):
        pid = path.name[len(STAGING_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


class OutputSet:
    """Files written together or not at all (see the module docstring).

    ``folder(f)`` is where to write what belongs in ``f`` (a staging folder beside it);
    ``write(path, content)`` writes one file there; ``final(staged)`` is where a staged file
    will be. ``commit()`` swaps every staged file in; ``discard()`` removes the staging.
    """

    def __init__(self) -> None:
        self._stages: dict[Path, _Stage] = {}

    def folder(self, folder: str | Path, *, members: Iterable[str] = ()) -> Path:
        """The staging folder standing for ``folder`` (made, with ``folder``'s missing
        parents staged too). ``members``: names this set owns in ``folder``, removed by
        the swap unless written again."""
        folder = Path(folder)
        stage = self._stages.get(folder)
        if stage is None:
            try:
                stage = self._stages[folder] = _Stage(folder, members)
            except OSError as error:  # name the folder asked for, not a staging one
                named = (
                    error.filename
                    if error.filename and ".tmp" not in str(error.filename)
                    else folder
                )
                raise OSError(error.errno, error.strerror, str(named)) from None
        stage.members.update(members)
        return stage.inner

    def path(self, target: str | Path) -> Path:
        """Where to write ``target`` now (in the staging folder of its folder)."""
        target = Path(target)
        return self.folder(target.parent) / target.name

    def write(self, target: str | Path, content: str | bytes) -> Path:
        """Write ``content`` (text as UTF-8) as ``target``; return ``target``."""
        target = Path(target)
        staged = self.path(target)
        if staged.exists():
            raise ValueError(f"{target} is written twice in one output set")
        data = content.encode("utf-8") if isinstance(content, str) else content
        try:
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as error:
            raise _named(OSError(error.errno, error.strerror), target) from None
        return target

    def final(self, staged: str | Path) -> Path:
        """The final path of a file written into one of the staging folders."""
        staged = Path(staged)
        for folder, stage in self._stages.items():
            if staged.parent == stage.inner:
                return folder / staged.name
        raise ValueError(f"{staged} is not in this output set")

    def commit(self) -> None:
        fault_point("staged")
        for folder, stage in self._stages.items():
            try:
                stage.commit()
            except OSError as error:
                raise self._renamed(error, folder) from None

    def discard(self) -> None:
        for stage in self._stages.values():
            stage.discard()

    def _renamed(self, error: OSError, folder: Path) -> OSError:
        """``error`` naming a final path, not a staging one."""
        name = error.filename
        if name is None:
            return _named(error, folder)
        for f, stage in self._stages.items():
            if str(name).startswith(str(stage.root)):
                name = str(f / Path(name).name)
        return OSError(error.errno, error.strerror or str(error), str(name))


@contextlib.contextmanager
def output_set() -> Iterator[OutputSet]:
    """An ``OutputSet`` committed when the block ends without an error, else discarded.

    An ``OSError`` raised in the block without a file name (a full disk inside a chart
    library) is re-raised naming the first target folder.
    """
    outputs = OutputSet()
    try:
        yield outputs
        outputs.commit()
    except OSError as error:
        if error.filename is None and outputs._stages:
            raise _named(error, next(iter(outputs._stages))) from None
        raise
    finally:
        outputs.discard()


def write_new_folder(folder: str | Path, files: Mapping[str, str]) -> list[Path]:
    """Create ``folder`` (and its missing parents) holding ``files`` (name -> text), all or
    nothing.

    Everything is written into a temporary folder beside the outermost folder that does not
    exist yet, which is then renamed into place: a failure leaves no folder, no file and no
    temporary folder behind. ``folder`` must not exist (``write_files`` fills a folder that
    does); an ``OSError`` (a parent that is a file, no permission) is the caller's to report.
    """
    folder = Path(folder)
    top = folder
    while not top.parent.exists():
        top = top.parent
    staging = Path(tempfile.mkdtemp(prefix=f".{top.name}.", suffix=".tmp", dir=top.parent))
    try:
        staging.chmod(0o777 & ~_umask())  # as a plain mkdir would make it, not mkdtemp's 0700
        inner = staging / folder.relative_to(top)
        inner.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (inner / name).write_bytes(text.encode("utf-8"))
        with deferred_signals():
            os.rename(staging, top)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / name for name in files]
