"""A damaged fit-cache file is never used and never fatal: it is ignored with one warning
line and the model refitted (and the file rewritten).

Every case of issue 15: damaged but valid JSON (``"lines": []``, a renamed line, a negative
variance, a changed sigma), NaN and infinity, truncated, not JSON, a FIFO. Each damage is
tried twice where it can be: as an edit that leaves the checksum stale (the checksum
catches it) and as a forgery with the checksum recomputed (the schema check catches it).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from forecast.engine import cache, pipeline
from forecast.engine.cache import FitCache
from forecast.months import year_months
from forecast.scenario.parse import load_scenario
from tests.factories import Project

Envelope = dict[str, Any]


@pytest.fixture(scope="module")
def scenario(project: Project):
    return load_scenario(project.scenario("baseline"))


@pytest.fixture(scope="module")
def stored(bundle, scenario, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The key and the text of a good cache file for the baseline."""
    folder = tmp_path_factory.mktemp("good-cache")
    pipeline.fit(bundle, scenario, cache=FitCache.on_disk(folder))
    (entry,) = folder.glob("fit-*.json")
    return pipeline.scenario_key(bundle, scenario), entry.read_text(encoding="utf-8")


def _read(text: str) -> Envelope:
    return json.loads(text)


def _stale(envelope: Envelope) -> str:
    """The envelope as edited by hand: the checksum is the old one."""
    return json.dumps(envelope)


def _resealed(envelope: Envelope) -> str:
    """A forgery: the checksum recomputed over the edited fit."""
    return cache.seal(envelope["fit"], head=envelope["head"])


def _line(envelope: Envelope, i: int = 0) -> dict[str, Any]:
    return envelope["fit"]["lines"][i]


def _set(path: Callable[[Envelope], dict], key: str, value: Any) -> Callable[[Envelope], None]:
    def edit(envelope: Envelope) -> None:
        path(envelope)[key] = value

    return edit


def _negative_variance(envelope: Envelope) -> None:
    _line(envelope)["cov"][0][0] = -abs(_line(envelope)["cov"][0][0]) - 1e-3


def _renamed(envelope: Envelope) -> None:
    _line(envelope)["line"] = _line(envelope)["line"] + "X"


def _duplicated(envelope: Envelope) -> None:
    envelope["fit"]["lines"][1] = dict(_line(envelope))


def _sigma_doubled(envelope: Envelope) -> None:
    _line(envelope)["sigma"] *= 2


def _cov_shape(envelope: Envelope) -> None:
    _line(envelope)["cov"] = [[1.0]]


def _months_gap(envelope: Envelope) -> None:
    envelope["fit"]["months"][-1] += 1


def _negative_total(envelope: Envelope) -> None:
    envelope["fit"]["totals"][0] = -5.0


def _head_as_of(envelope: Envelope) -> None:
    envelope["head"]["as_of"] -= 1


def _no_lines_key(envelope: Envelope) -> None:
    del envelope["fit"]["lines"]


def _params_text(envelope: Envelope) -> None:
    _line(envelope)["params"] = "1, 2"


def _lines(envelope: Envelope) -> dict:
    return envelope["fit"]


EDITS: dict[str, Callable[[Envelope], None]] = {
    "no lines": _set(_lines, "lines", []),
    "a renamed line": _renamed,
    "a negative variance": _negative_variance,
    "a line twice": _duplicated,
    "an unknown family": _set(_line, "family", "cubic"),
    "phi above 1": _set(_line, "phi", 1.5),
    "a negative sigma": _set(_line, "sigma", -0.1),
    "a covariance of the wrong shape": _cov_shape,
    "a gap in the months": _months_gap,
    "a negative total": _negative_total,
    "parameters as text": _params_text,
    "the lines key missing": _no_lines_key,
    "another as_of in the head": _head_as_of,
}
"""Damage a forger could reseal: the schema check must catch each one."""

STALE_ONLY: dict[str, Callable[[Envelope], None]] = {
    "a changed sigma": _sigma_doubled,  # a valid fit: only the checksum can tell
    "a changed total": _set(lambda e: e["fit"], "totals", [1.0]),
}


def _text_damage(good: str) -> dict[str, tuple[str | bytes, str]]:
    """Damaged texts of the file ``good``, each with the reason it is ignored."""
    number = good.index('"sigma":') + len('"sigma":')
    end = good.index(",", number)

    def sigma(text: str) -> str:
        return good[:number] + text + good[end:]

    not_json = "not JSON (truncated?)"
    return {
        "truncated": (good[: len(good) // 2], not_json),
        "cut at the last brace": (good.rstrip()[:-1], not_json),
        "empty": ("", not_json),
        "not JSON": ("this is not a cache file\n", not_json),
        "binary": (b"\xff\xfe\x00garbage", not_json),
        "nested deeply": ("[" * 100_000 + "]" * 100_000, not_json),
        "NaN": (sigma("NaN"), "holds NaN"),
        "Infinity": (sigma("Infinity"), "holds Infinity"),
        "-Infinity": (sigma("-Infinity"), "holds -Infinity"),
        "1e999": (sigma("1e999"), "holds 1e999, out of range"),
        "a list": ("[1, 2, 3]", "not a forecast-fit file"),
        "the old layout": (json.dumps(json.loads(good)["fit"]), "not a forecast-fit file"),
        "another format": (good.replace('"forecast-fit"', '"other"'), "not a forecast-fit file"),
        "no checksum": (good.replace('"sha256"', '"sha"'), "its checksum does not match"),
        "no fit": (good.replace('"fit":', '"fat":'), "no fit in it"),
    }


def _load(folder: Path, key: str, scenario) -> tuple[Any, list[str]]:
    problems: list[str] = []
    hit = cache.load_fit(
        key,
        season_months=year_months(scenario.target_year),
        folder=folder,
        on_problem=problems.append,
    )
    return hit, problems


def _write(folder: Path, key: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"fit-{key}.json"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _ignored_once(problems: list[str], path: Path) -> None:
    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith(f"ignoring the fit cache file {path}: ")
    assert problems[0].endswith("; fitting again")


def test_the_good_file_is_a_hit(stored, scenario, tmp_path) -> None:
    key, good = stored
    _write(tmp_path, key, good)
    hit, problems = _load(tmp_path, key, scenario)
    assert hit is not None and problems == []


@pytest.mark.parametrize("damage", sorted(EDITS) + sorted(STALE_ONLY))
def test_an_edited_file_fails_its_checksum(damage, stored, scenario, tmp_path) -> None:
    key, good = stored
    envelope = _read(good)
    {**EDITS, **STALE_ONLY}[damage](envelope)
    path = _write(tmp_path, key, _stale(envelope))
    hit, problems = _load(tmp_path, key, scenario)
    assert hit is None
    _ignored_once(problems, path)
    assert problems[0].endswith("its checksum does not match its content; fitting again") or (
        damage == "another as_of in the head"
    )


@pytest.mark.parametrize("damage", sorted(EDITS))
def test_a_resealed_forgery_fails_the_schema_check(damage, stored, scenario, tmp_path) -> None:
    key, good = stored
    envelope = _read(good)
    EDITS[damage](envelope)
    path = _write(tmp_path, key, _resealed(envelope))
    hit, problems = _load(tmp_path, key, scenario)
    assert hit is None
    _ignored_once(problems, path)
    assert "checksum" not in problems[0]  # the schema check caught it


@pytest.mark.parametrize("damage", sorted(_text_damage('{"fit": {"sigma": 1, "x": 2}}')))
def test_a_damaged_text_is_ignored(damage, stored, scenario, tmp_path) -> None:
    key, good = stored
    text, reason = _text_damage(good)[damage]
    path = _write(tmp_path, key, text)
    hit, problems = _load(tmp_path, key, scenario)
    assert hit is None
    _ignored_once(problems, path)
    assert problems[0].startswith(f"ignoring the fit cache file {path}: {reason}")


def _in_time(call: Callable[[], Any], seconds: float = 10.0) -> Any:
    """``call()`` in a thread: it must return within ``seconds`` (a FIFO must not block)."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked"
    return box[0]


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_a_special_file_is_skipped_without_blocking(kind, stored, scenario, tmp_path) -> None:
    key, _ = stored
    path = tmp_path / f"fit-{key}.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")
    hit, problems = _in_time(lambda: _load(tmp_path, key, scenario))
    assert hit is None
    assert problems == [f"ignoring the fit cache file {path}: not a regular file; fitting again"]


def test_a_file_too_large_is_not_read(stored, scenario, tmp_path, monkeypatch) -> None:
    key, good = stored
    path = _write(tmp_path, key, good)
    monkeypatch.setattr(cache, "MAX_BYTES", 100)
    _, problems = _load(tmp_path, key, scenario)
    assert problems == [
        f"ignoring the fit cache file {path}: {len(good)} bytes, too large; fitting again"
    ]


def test_a_missing_file_is_a_quiet_miss(stored, scenario, tmp_path) -> None:
    key, _ = stored
    assert _load(tmp_path, key, scenario) == (None, [])


# ---------------------------------------------------------------- end to end: refit, repair


def test_a_forged_fit_is_refitted_and_replaced(bundle, scenario, stored, tmp_path) -> None:
    """The issue's worst case: ``"lines": []`` resealed gave P = 0%; now the fit is fresh."""
    key, good = stored
    envelope = _read(good)
    envelope["fit"]["lines"] = []
    path = _write(tmp_path, key, _resealed(envelope))
    problems: list[str] = []
    fitted = pipeline.fit(bundle, scenario, cache=FitCache(tmp_path, on_problem=problems.append))
    fresh = pipeline.fit(bundle, scenario)
    assert len(problems) == 1
    assert [f.line for f in fitted.model.lines] == [f.line for f in fresh.model.lines]
    for a, b in zip(fitted.model.lines, fresh.model.lines):
        assert np.array_equal(a.params, b.params) and a.sigma == b.sigma
    assert path.read_text(encoding="utf-8") == good  # the refit rewrote it
    again: list[str] = []
    assert FitCache(tmp_path, on_problem=again.append).get(key) is not None and again == []


@pytest.mark.parametrize("damage", ["lines", "fifo"])
def test_forecast_run_warns_once_and_answers_as_without_cache(
    damage, project: Project, stored, tmp_path, monkeypatch
) -> None:
    key, good = stored
    folder = tmp_path / "cache"
    monkeypatch.setenv("FORECAST_CACHE_DIR", str(folder))
    if damage == "fifo":
        folder.mkdir()
        os.mkfifo(folder / f"fit-{key}.json")
    else:
        envelope = _read(good)
        envelope["fit"]["lines"] = []
        _write(folder, key, _stale(envelope))
    args = ["run", str(project.scenario("baseline")), "--n-paths", "500", "--quiet"]
    plain = CliRunner().invoke(cli, [*args, "--no-cache", "--out", str(tmp_path / "a")])
    assert plain.exit_code == 0, plain.output
    damaged = _in_time(lambda: CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "b")]), 120)
    assert damaged.exit_code == 0, damaged.output
    assert damaged.stderr.count("\n") == 1 and damaged.stderr.startswith("warning: ignoring")
    for name in ("summary.csv", "monthly.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (folder / f"fit-{key}.json").read_text(encoding="utf-8") == good
