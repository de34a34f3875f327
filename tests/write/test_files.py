"""Outputs are written whole or not at all, and the same seed gives the same bytes.

Every output file is first written to a temporary file in its own folder and renamed into
place once all of a run's files are complete; a failure at any point leaves the old files as
they were and no temporary files behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import forecast.write.files
from forecast.cli.main import cli
from forecast.engine.run import run_scenario
from forecast.write.files import write_files

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.toml"
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
    out = tmp_path / "out"
    _fail_on_call(monkeypatch, "replace", 2)
    with pytest.raises(OSError, match="No space left on device"):
        write_files(out, NEW)
    assert _contents(out) == {}


def test_forecast_run_failing_midway_keeps_the_old_outputs(tmp_path, monkeypatch) -> None:
    out = _folder_with_old_files(tmp_path)
    args = ["run", str(BASELINE), "--n-paths", "200", "--out", str(out)]
    _fail_on_call(monkeypatch, "replace", 2)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code != 0 and "No space left on device" in str(result.exception)
    assert _contents(out) == OLD
    monkeypatch.undo()
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(_contents(out)) == sorted(OLD)
    assert _contents(out)["summary.csv"].startswith("scenario,target_year")


# ---------------------------------------------------------------------- reproducible bytes


def _run_bytes(**kwargs) -> dict[str, str]:
    result = run_scenario(REPO / "tests" / "scenarios_valid" / "base.toml", **kwargs)
    files = result.files()
    return {name: files[name] for name in ("summary.csv", "monthly.csv")}


def test_same_seed_gives_identical_files_across_runs_and_chunk_sizes() -> None:
    """Chunks are whole seeding blocks (``simulate.BLOCK``); any number of them gives the same."""
    from forecast.simulate.paths import BLOCK

    n_paths = BLOCK + 1000
    first = _run_bytes(n_paths=n_paths, seed=11)
    assert _run_bytes(n_paths=n_paths, seed=11) == first
    assert _run_bytes(n_paths=n_paths, seed=11, chunk_size=BLOCK) == first
    assert _run_bytes(n_paths=n_paths, seed=11, chunk_size=2 * BLOCK) == first
    assert _run_bytes(n_paths=n_paths, seed=12) != first


def test_compare_gives_identical_files_for_any_number_of_workers(tmp_path) -> None:
    scenarios = [str(REPO / "scenarios" / name) for name in ("baseline.toml", "su7_retool.toml")]
    texts = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}" / "comparison.csv"
        args = [
            "compare",
            *scenarios,
            "--n-paths",
            "2000",
            "--workers",
            str(workers),
            "--out",
            str(out),
        ]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        texts.append(out.read_bytes())
        assert sorted(p.name for p in out.parent.iterdir()) == ["comparison.csv"]
    assert texts[0] == texts[1]
