"""Outputs are written whole or not at all (write_files, run_files).

Every output file is first written to a temporary file in its own folder and renamed into
place once all of a run's files are complete; a failure at any point leaves the old files as
they were and no temporary files behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import forecast.write.files
from forecast.months import year_months
from forecast.summarise.summary import (
    QUANTILES,
    summarise,
)
from forecast.write.files import MONTHLY_COLUMNS, SUMMARY_COLUMNS, RunRecord, run_files, write_files

MONTHS = np.array(year_months(2026))

OLD = {
    "summary.csv": "old summary\n",
    "monthly.csv": "old monthly\n",
    "scenario.resolved.toml": "old = true\n",
}
NEW = {name: f"new {name}\n" for name in OLD}


def _folder_with_old_files(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name, text in OLD.items():
        (out / name).write_text(text)
    return out


def _contents(out: Path) -> dict[str, str]:
    """Every file in ``out`` (temporary ones included) by name."""
    return {path.name: path.read_text() for path in sorted(out.iterdir())}


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, name: str, n: int) -> None:
    """Make the ``n``-th call of ``os.<name>`` (as used by forecast.write.files) raise OSError."""
    real, calls = getattr(os, name), []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == n:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(forecast.write.files.os, name, flaky)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_failed_rename_leaves_the_old_files(tmp_path, monkeypatch, n) -> None:
    """Renaming the ``n``-th file fails: the ones renamed before it get their old content back."""
    out = _folder_with_old_files(tmp_path)
    _fail_on_call(monkeypatch, "replace", n)
    with pytest.raises(OSError, match="No space left"):
        write_files(out, NEW)
    assert _contents(out) == OLD


class _FailingHandle:
    """A file handle that writes half of what it is given, then fails (a full disk)."""

    def __init__(self, handle) -> None:
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()

    def write(self, data: bytes) -> None:
        self.handle.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_failed_write_leaves_the_old_files(tmp_path, monkeypatch, n) -> None:
    out = _folder_with_old_files(tmp_path)
    real, opened = os.fdopen, []

    def fdopen(fd, *args, **kwargs):
        opened.append(fd)
        handle = real(fd, *args, **kwargs)
        return _FailingHandle(handle) if len(opened) == n else handle

    monkeypatch.setattr(forecast.write.files.os, "fdopen", fdopen)
    with pytest.raises(OSError, match="No space left"):
        write_files(out, NEW)
    assert _contents(out) == OLD


def test_new_files_replace_old_ones_whole(tmp_path) -> None:
    out = _folder_with_old_files(tmp_path)
    (out / "other.txt").write_text("not ours\n")
    write_files(out, NEW)
    assert _contents(out) == {**NEW, "other.txt": "not ours\n"}


def test_a_failed_write_of_new_files_leaves_no_trace(tmp_path, monkeypatch) -> None:
    """A new folder is built beside its place and renamed in: no folder, no staging left."""
    out = tmp_path / "new" / "out"
    _fail_on_call(monkeypatch, "rename", 1)
    with pytest.raises(OSError, match="No space left on device"):
        write_files(out, NEW)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- reproducible bytes


def _files() -> dict[str, str]:
    paths = np.random.default_rng(7).normal(45_000, 4_000, (500, 12))
    s = summarise(paths, months=MONTHS, n_reported=0, target=550_000, scenario="demo")
    record = RunRecord(seed=7, n_paths=500, version="0.1.0", data_hash="d", scenario_hash="s")
    return run_files(s, record, "[scenario]\nname = 'demo'\n")


def test_run_files_have_the_documented_columns() -> None:
    files = _files()
    assert files["summary.csv"].splitlines()[0] == ",".join(SUMMARY_COLUMNS)
    monthly = files["monthly.csv"].splitlines()
    assert monthly[0] == ",".join(MONTHLY_COLUMNS)
    assert [line.split(",")[0] for line in monthly[1:]] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert len(QUANTILES) == 7


def test_write_files_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "summary.csv").write_text("old\n")
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):  # noqa: ANN001
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_files(tmp_path, {"monthly.csv": "new\n", "summary.csv": "new\n"})
    assert (tmp_path / "summary.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_write_files_failing_midway_leaves_old_files(tmp_path: Path) -> None:
    (tmp_path / "summary.csv").write_text("old\n")

    class Boom:  # neither str nor bytes: writing it fails after summary.csv is staged
        pass

    with pytest.raises(TypeError):
        write_files(tmp_path, {"summary.csv": "new\n", "monthly.csv": Boom()})  # type: ignore[dict-item]
    assert (tmp_path / "summary.csv").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]
