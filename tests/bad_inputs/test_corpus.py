"""The corpus of bad input: one file per case in this folder, run through the CLI.

Each ``*.toml`` here is one case, applied to a private copy of the hand-made project
(``tests/factories.py``; the working folder is its root, so messages name ``data/...`` and
``scenarios/...``):

- ``file``: the project file the case writes, with one of ``content`` (the whole text),
  ``content_base64`` (bytes), ``append`` (text added at the end) or ``replace`` (``[old,
  new]``, once);
- ``expand``: ``{ MARK = [text, n] }``: each MARK in those strings becomes ``text`` repeated
  ``n`` times (a 100 kB cell without a 100 kB case file);
- ``chain``: instead, a chain of that many scenario files, each extending the previous;
- ``scenario``: what ``run`` and ``validate`` are given (default ``scenarios/baseline.toml``);
  ``args``: more arguments for both (``--set ...``);
- ``expected``: the problem, one line (an array where the input has several problems, one
  line each); or ``accepted = true`` for input the issue found refused that is now read (a
  BOM, a bare month in ``--set``).

A refused case must make both ``forecast run`` and ``forecast validate`` exit 2 with exactly
``error: <expected>`` on stderr (one such line per problem), nothing on stdout, no traceback and no output folder: validate
rejects what run rejects, in the same words. ``about`` says where the case comes from (issue
15's "Measured" list is quoted where a case is one of its).
"""

from __future__ import annotations

import base64
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from forecast.cli.main import cli
from tests.factories import Project

CORPUS = Path(__file__).resolve().parent
CASES = sorted(CORPUS.glob("*.toml"))
KEYS = {"about", "file", "content", "content_base64", "append", "replace", "expand", "chain"}
KEYS |= {"scenario", "args", "expected", "accepted"}


def _case(path: Path) -> dict[str, Any]:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(case) - KEYS
    assert not unknown, f"{path.name}: unknown keys {unknown}"
    assert ("expected" in case) != bool(case.get("accepted")), path.name
    for mark, (text, n) in case.pop("expand", {}).items():
        for key in ("content", "append"):
            if key in case:
                case[key] = case[key].replace(mark, text * n)
        for key in ("replace", "args"):
            if key in case:
                case[key] = [part.replace(mark, text * n) for part in case[key]]
    return case


def _apply(case: dict[str, Any], root: Path) -> None:
    if "chain" in case:
        scenarios = root / "scenarios"
        (scenarios / "c0.toml").write_text('[scenario]\nextends = "baseline.toml"\n')
        for i in range(1, case["chain"]):
            (scenarios / f"c{i}.toml").write_text(f'[scenario]\nextends = "c{i - 1}.toml"\n')
        return
    if "file" not in case:  # a case of --set arguments alone
        return
    target = root / case["file"]
    if "content" in case:
        target.write_bytes(case["content"].encode("utf-8"))
    elif "content_base64" in case:
        target.write_bytes(base64.b64decode(case["content_base64"]))
    elif "append" in case:
        target.write_bytes(target.read_bytes() + case["append"].encode("utf-8"))
    else:
        old, new = case["replace"]
        text = target.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{case['file']}: {old!r} is not there once"
        target.write_text(text.replace(old, new), encoding="utf-8")


def test_the_corpus_has_the_cases_the_issue_asks_for() -> None:
    assert len(CASES) >= 50
    kinds = {_case(path).get("file", "--set/").split("/")[0] for path in CASES}
    assert kinds == {"data", "scenarios", "--set"}


@pytest.mark.parametrize("path", CASES, ids=[path.stem for path in CASES])
def test_bad_input_is_one_clear_line_and_exit_2(
    path: Path, project_copy: Project, tmp_path: Path
) -> None:
    case = _case(path)
    _apply(case, project_copy.root)
    scenario, args = case.get("scenario", "scenarios/baseline.toml"), case.get("args", [])
    out = tmp_path / "out"
    checked = CliRunner().invoke(cli, ["validate", scenario, *args])
    if case.get("accepted"):
        assert checked.exit_code == 0, checked.output
        return
    ran = CliRunner().invoke(cli, ["run", scenario, "--n-paths", "100", "--out", str(out), *args])
    for result in (ran, checked):
        assert isinstance(result.exception, SystemExit | None), result.exception  # no traceback
        assert (result.exit_code, result.stdout) == (2, "")
        expected = case["expected"]
        expected = [expected] if isinstance(expected, str) else expected
        assert result.stderr == "".join(f"error: {line}\n" for line in expected)
    assert not out.exists()


def test_paths_outside_the_scenario_folder_are_printed_by_run(
    project_copy: Project, tmp_path: Path
) -> None:
    """Issue 15: ``extends`` and ``history.data`` followed absolute and ``../`` paths without
    a word. Allowed, and now said: the hand-made scenarios read ``../data``."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "base.toml").write_text(
        (project_copy.root / "scenarios" / "baseline.toml")
        .read_text()
        .replace('data = "../data"', f'data = "{project_copy.data}"')
    )
    mine = project_copy.root / "scenarios" / "mine.toml"
    mine.write_text(f'[scenario]\nextends = "{elsewhere / "base.toml"}"\n')
    result = CliRunner().invoke(
        cli, ["run", "scenarios/mine.toml", "--n-paths", "200", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    said = [line for line in result.stdout.splitlines() if "read outside" in line]
    assert said == [
        f"  read outside the scenario's folder: extends {elsewhere / 'base.toml'}, "
        f"history.data {project_copy.data}"
    ]
