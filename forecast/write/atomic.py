"""Write files whole or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO


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
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def temp_beside(path: Path) -> tuple[int, str]:
    """A temporary file in ``path``'s folder (so the rename is atomic), with the permissions
    a plain ``open()`` would give: ``mkstemp`` alone makes it readable by the owner only."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, tmp


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


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
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # as a plain mkdir would make it, not mkdtemp's 0700
        inner = staging / folder.relative_to(top)
        inner.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (inner / name).write_bytes(text.encode("utf-8"))
        os.rename(staging, top)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [folder / name for name in files]
