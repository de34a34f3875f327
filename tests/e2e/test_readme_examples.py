"""Every command the README shows and every ``Example:`` of each command's ``--help`` runs
and exits 0, in a fresh folder, as a new user would type it; and the complete example of
docs/scenarios.md runs and compares beside the library's scenarios.

The cases are read from the files at collection time, so commands added to README.md or a
new command's help later are tested without touching this file. The folder each runs in
holds a copy of the scenario library as ``scenarios/`` (as a checkout has) and nothing else.

Skipped, each with its reason shown by ``pytest -rs``:
- ``pip install ...``: it installs from a package index (the network); the rest of the same
  line (``pip install -e . && forecast run ...``) still runs;
- the test command itself (``python -m pytest``: this suite) and the linters beside it;
- ``python benchmarks/...``: minutes of CPU, measured by the lead on an idle machine;
- the dask cluster section: ``dask scheduler``, ``dask worker`` and ``--scheduler ADDRESS``
  need a running scheduler on other machines; ``--executor dask`` (a local cluster) runs
  where the dask extra is installed.

A README line ``# fill in ...`` stands for the user filling in their company folder: the
test writes the hand-made company of tests/factories.py (13 months) into the folder that
the last ``forecast init DIR`` made.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from forecast.cli.main import cli
from tests.factories import write_data

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SCENARIOS_DOC = REPO / "docs" / "scenarios.md"
LIBRARY = REPO / "forecast" / "scenarios"
BIN = Path(sys.executable).parent  # the environment's `forecast`, `python`, `ruff`...
TIMEOUT = 900  # seconds a line may take on a loaded two-core machine

# (pattern, reason): a line matching any is not run. Checked after `pip install` parts are
# dropped from a line (those need an index: the network).
SKIPS = (
    (r"\bdask[- ]scheduler\b", "starts a dask scheduler: needs a cluster (the dask section)"),
    (r"\bdask[- ]worker\b", "starts a dask worker: needs a running scheduler"),
    (r"--scheduler\b", "needs a running dask scheduler at an address"),
    (r"\bpytest\b", "the test suite itself (and the linters beside it), run by .ci/run"),
    (r"\bbenchmarks/", "a benchmark: minutes of CPU, measured by the lead on an idle machine"),
    (r"\b(curl|wget|git clone)\b", "needs the network"),
)
PIP = re.compile(r"^\s*pip3? install\b")
FILL_IN = re.compile(r"^#\s*fill in\b")


@dataclass(frozen=True)
class Case:
    """Lines run in order in one folder: a README block, or one help example."""

    id: str
    lines: tuple[str, ...]
    skip: str | None = None  # the reason, if the case is not run


# ---------------------------------------------------------------- reading the examples


def fenced_blocks(text: str, languages: tuple[str, ...]) -> list[list[str]]:
    """The lines of each fenced block ``` ```lang ``` whose language is in ``languages``."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        fence = re.match(r"^\s*```\s*(\S*)", line)
        if fence and current is None:
            current = [] if fence.group(1).lower() in languages else None
            if current is None:  # a block in another language: skip to its end
                current = ["\0other"]
        elif fence:
            if current and current[0] != "\0other" or current == []:
                blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return [b for b in blocks if b]


def command_lines(block: list[str]) -> list[str]:
    """A shell block's lines: continuations joined, blank lines dropped, comments kept only
    when they ask the user to fill something in."""
    lines: list[str] = []
    pending = ""
    for raw in block:
        if raw.rstrip().endswith("\\"):
            pending += raw.strip()[:-1].strip() + " "
            continue
        line = (pending + raw.strip()).strip()
        pending = ""
        if line and (not line.startswith("#") or FILL_IN.match(line)):
            lines.append(line)
    return lines


def without_installs(line: str) -> str:
    """``line`` without its ``pip install ...`` parts (joined by ``&&``)."""
    parts = [part.strip() for part in line.split("&&")]
    return " && ".join(part for part in parts if not PIP.match(part))


def skip_reason(line: str) -> str | None:
    if FILL_IN.match(line):
        return None
    if not without_installs(line):
        return "installs from a package index: needs the network"
    for pattern, reason in SKIPS:
        if re.search(pattern, without_installs(line)):
            return reason
    if re.search(r"--executor\s+dask\b", line) and not _has_dask():
        return "needs the dask extra, not installed here (CI installs it)"
    return None


def _has_dask() -> bool:
    import importlib.util

    return importlib.util.find_spec("dask") is not None


def readme_cases() -> list[Case]:
    """Each README shell block's runnable lines as one case (later lines may use what
    earlier ones made), each skipped line as a skipped case; each Python block as one."""
    cases: list[Case] = []
    text = README.read_text(encoding="utf-8")
    for number, block in enumerate(fenced_blocks(text, ("sh", "bash", "shell")), 1):
        run: list[str] = []
        for line in command_lines(block):
            reason = skip_reason(line)
            if reason is None:
                run.append(without_installs(line))
            else:
                cases.append(Case(id=f"README sh {number}: {line}", lines=(line,), skip=reason))
        if any(not FILL_IN.match(line) for line in run):
            cases.append(Case(id=f"README sh {number}: {run[0]}", lines=tuple(run)))
    for number, block in enumerate(fenced_blocks(text, ("python", "py")), 1):
        code = "\n".join(block)
        line = f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"
        cases.append(Case(id=f"README python {number}", lines=(line,)))
    return cases


def help_examples() -> list[Case]:
    """Every ``Example:`` line of every command's ``--help``."""
    cases = []
    context = click.Context(cli)
    for name in cli.list_commands(context):
        command = cli.get_command(context, name)
        assert command is not None
        examples = re.findall(r"^\s*Example:\s*(.+)$", command.help or "", flags=re.M)
        assert examples, f"forecast {name} --help has no Example: line"
        for example in examples:
            reason = skip_reason(example)
            cases.append(
                Case(id=f"forecast {name} --help: {example}", lines=(example,), skip=reason)
            )
    return cases


# ---------------------------------------------------------------- running them


def a_new_folder(tmp_path: Path) -> Path:
    """A user's working folder: a copy of the scenario library as ./scenarios, as in a
    checkout (run from it, commands write ./out and the like here, not in the repo)."""
    shutil.copytree(LIBRARY, tmp_path / "scenarios")
    return tmp_path


def fill_in(folder: Path, last_init: str | None) -> None:
    """Do what the README's ``# fill in ...`` line asks: the hand-made company's months in
    the folder the last ``forecast init DIR`` wrote (its README and baseline kept)."""
    assert last_init is not None, "a '# fill in' line before any 'forecast init DIR'"
    company = folder / last_init
    source = write_data(folder / ".filled")
    for path in company.glob("*.csv"):
        if (source / path.name).exists():
            shutil.copy(source / path.name, path)


def run_lines(case: Case, folder: Path) -> None:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    last_init = None
    for line in case.lines:
        if FILL_IN.match(line):
            fill_in(folder, last_init)
            continue
        init = re.search(r"\bforecast init (\S+)", line)
        last_init = init.group(1) if init else last_init
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert done.returncode == 0, (
            f"`{line}` exited {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n"
            f"{done.stderr}"
        )
        assert "Traceback" not in done.stderr, done.stderr


@pytest.mark.slow  # about 25 commands, some of 100,000 paths or a backtest: minutes in all
@pytest.mark.parametrize("case", readme_cases() + help_examples(), ids=lambda c: c.id[:90])
def test_the_documented_command_runs_and_exits_0(case: Case, tmp_path: Path) -> None:
    if case.skip is not None:
        pytest.skip(case.skip)
    run_lines(case, a_new_folder(tmp_path))


def test_the_readers_find_every_kind_of_line() -> None:
    """The readers above, on a made-up README: a test that reads nothing passes nothing."""
    text = "\n".join(
        [
            "```sh",
            "pip install -e . && forecast run baseline",
            "forecast init acme   # a comment after",
            "# fill in 12 months",
            "# a plain comment",
            "forecast compare scenarios/*.toml \\",
            "  --workers 2",
            "dask scheduler --port 8786",
            "forecast compare scenarios/*.toml --scheduler tcp://host:8786",
            "```",
            "```toml",
            "[x]",
            "```",
            "```python",
            "print(1)",
            "```",
        ]
    )
    (block,) = fenced_blocks(text, ("sh",))
    lines = command_lines(block)
    assert lines == [
        "pip install -e . && forecast run baseline",
        "forecast init acme   # a comment after",
        "# fill in 12 months",
        "forecast compare scenarios/*.toml --workers 2",
        "dask scheduler --port 8786",
        "forecast compare scenarios/*.toml --scheduler tcp://host:8786",
    ]
    assert [skip_reason(line) is None for line in lines] == [True, True, True, True, False, False]
    assert without_installs(lines[0]) == "forecast run baseline"
    assert skip_reason("pip install .") == "installs from a package index: needs the network"
    assert fenced_blocks(text, ("python",)) == [["print(1)"]]
    # the real README: its 18 shell lines and one Python block, and one example a command
    assert sum(len(case.lines) for case in readme_cases()) >= 18
    assert len(help_examples()) >= len(cli.list_commands(click.Context(cli)))


# ---------------------------------------------------------------- docs/scenarios.md's example


def complete_example() -> str:
    """The TOML block after "A complete small example" in docs/scenarios.md."""
    text = SCENARIOS_DOC.read_text(encoding="utf-8")
    after = text.split("A complete small example", 1)[1]
    return "\n".join(fenced_blocks(after, ("toml",))[0]) + "\n"


def test_the_complete_example_is_its_own_scenario_acting_after_as_of() -> None:
    """It was named ``baseline`` (so beside the library it clashed with the baseline) and
    started its gap in January, a reported month, where the gap silently did nothing."""
    from forecast.months import parse_month

    table = tomllib.loads(complete_example())
    names = {tomllib.loads(p.read_text())["scenario"]["name"] for p in LIBRARY.glob("*.toml")}
    assert table["scenario"]["name"] not in names
    as_of = parse_month(table["history"]["as_of"])
    for event in table["events"]:
        start = str(event["start"])[:7]
        assert parse_month(start) > as_of, f"{event['name']} starts in a reported month"


def test_the_complete_example_runs_and_compares_beside_the_library(tmp_path: Path) -> None:
    folder = a_new_folder(tmp_path)
    name = tomllib.loads(complete_example())["scenario"]["name"]
    (folder / "scenarios" / f"{name}.toml").write_text(complete_example(), encoding="utf-8")
    case = Case(
        id="docs/scenarios.md",
        lines=(
            f"forecast run scenarios/{name}.toml --n-paths 2000 --out out/example",
            "forecast compare scenarios/*.toml --n-paths 2000 --out out/comparison.csv",
        ),
    )
    run_lines(case, folder)
    import csv

    with open(folder / "out" / "comparison.csv", newline="") as handle:
        rows = {row["scenario"]: row for row in csv.DictReader(handle)}
    assert {name, "baseline"} <= set(rows)
    assert {row["baseline"] for row in rows.values()} == {"baseline"}
    # the gap acts (it is after as_of): the example's P(hit) is below the baseline's, paired
    assert float(rows[name]["p_hit"]) < float(rows["baseline"]["p_hit"])
