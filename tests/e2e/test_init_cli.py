"""``forecast init`` end to end from the command line: write the templates, fill in a made-up
company as a user would (rows appended under the templates' headers), then ``history``,
``check`` and ``run``; and the mistakes a user makes in the templates, each one line naming
``file:line: column``, exit 2, no traceback."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forecast.cli.main import cli

# end to end: the CLI, the package and its bundled data
pytestmark = pytest.mark.e2e

SOURCE = "https://example.com/press"
N_PATHS = "2000"

# A made-up company, 18 months from August 2024 to January 2026: the line Breeze from the
# start, the line Gale from May 2025; a gentle seasonal wave keeps the fits honest.
MONTHS = [f"{2024 + (7 + i) // 12}-{(7 + i) % 12 + 1:02d}" for i in range(18)]
BREEZE = [round(4000 * 1.05**i * (1 + 0.06 * math.sin(1.3 * i))) for i in range(18)]
GALE = [0] * 9 + [round(2500 * 1.12**i * (1 + 0.05 * math.cos(1.1 * i))) for i in range(9)]
TOTAL = [b + g for b, g in zip(BREEZE, GALE)]


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def init(folder: Path) -> Path:
    result = invoke("init", folder)
    assert result.exit_code == 0, result.output
    return folder


def fill(folder: Path, name: str, rows: list[str]) -> None:
    """Keep the template's header, replace its example row by ``rows``."""
    header = (folder / name).read_text(encoding="utf-8").splitlines()[0]
    (folder / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def set_baseline(folder: Path, *, units: int | None, as_of: str = "2026-01") -> None:
    """Fill in the baseline's target and as_of as a user would: edit the lines."""
    path = folder / "baseline.toml"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# units = ") and units is not None:
            line = f"units = {units}"
        elif line.startswith("as_of = "):
            line = f'as_of = "{as_of}"'
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def fill_company(folder: Path, *, lines: bool) -> Path:
    """The made-up company: by line (each line's figure and the total, all exact) or totals
    only; quarterly totals for 2025; a target for 2026; two claims; no optional rows."""
    fill(folder, "company.csv", [f"northwind,Northwind Motors,,{SOURCE},made up for a test"])
    deliveries = []
    for i, month in enumerate(MONTHS):
        deliveries.append(f"{month},total,{TOTAL[i]},exact,{SOURCE},")
        if lines:
            deliveries.append(f"{month},Breeze,{BREEZE[i]},exact,{SOURCE},")
            if GALE[i]:
                deliveries.append(f"{month},Gale,{GALE[i]},exact,{SOURCE},")
    fill(folder, "deliveries.csv", deliveries)
    first_gale = MONTHS[9]
    line_rows = [f"Breeze,{MONTHS[0]},{SOURCE},", f"Gale,{first_gale},{SOURCE},"]
    fill(folder, "lines.csv", line_rows if lines else [])
    quarters = [
        f"2025-Q{q},total,{sum(TOTAL[5 + 3 * (q - 1) : 8 + 3 * (q - 1)])},exact,{SOURCE},"
        for q in (1, 2, 3, 4)
    ]
    fill(folder, "totals.csv", quarters)
    fill(
        folder,
        "targets.csv",
        [f"2026,150000,,target,2025-12-20,ok,deliveries,,{SOURCE},made up"],
    )
    fill(folder, "anomalies.csv", [])
    fill(folder, "context.csv", [])
    fill(
        folder,
        "claims.csv",
        [
            f"to_date,2026-02-01,deliveries,..2026-01,total,{sum(TOTAL) - 500},at_least,,press,",
            "goal,2025-12-20,target,2026,total,150000,exact,,press,",
        ],
    )
    return folder


def table_row(output: str, *leading: str) -> list[str]:
    """The cells of the first table row of ``output`` that starts with ``leading``."""
    for line in output.splitlines():
        if line.split()[: len(leading)] == list(leading):
            return line.split()
    raise AssertionError(f"no row {leading} in:\n{output}")


def one_error_line(result: Result) -> str:
    """The single line of a clean failure: exit 2, one ``error:`` line, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in ``tmp_path``, so that messages name files as the user typed them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ----------------------------------------------------------------------------- init


def test_init_writes_the_folder_and_says_what_next(here: Path):
    result = invoke("init", "northwind")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "wrote northwind: company.csv, lines.csv, deliveries.csv, totals.csv, targets.csv, "
        "anomalies.csv, context.csv, claims.csv, README.md, baseline.toml",
        "next: replace the example rows (see northwind/README.md), then",
        "  forecast history --data northwind",
        "  forecast run northwind/baseline.toml",
    ]


def test_a_new_folder_already_shows_its_example_in_history_and_check(here: Path):
    init(Path("northwind"))
    history = invoke("history", "--data", "northwind")
    assert history.exit_code == 0, history.output
    # month, line, raw, qualifier, reconciled, adjustment, source
    assert table_row(history.output, "2025-01", "total")[2:6] == [
        "1,200",
        "at_least",
        "3,900",
        "2,700",
    ]
    check = invoke("check", "--data", "northwind")
    assert check.exit_code == 0 and check.output.endswith("1 passed, 0 failed\n")


def test_init_refuses_a_folder_that_has_its_files(here: Path):
    init(Path("northwind"))
    (here / "northwind" / "deliveries.csv").write_text("mine\n")
    before = {p.name: p.read_bytes() for p in (here / "northwind").iterdir()}
    problem = one_error_line(invoke("init", "northwind"))
    assert problem == (
        "northwind: already has company.csv, lines.csv, deliveries.csv, totals.csv, "
        "targets.csv, anomalies.csv, context.csv, claims.csv, README.md, baseline.toml; "
        "nothing written (forecast init --force overwrites them)"
    )
    assert {p.name: p.read_bytes() for p in (here / "northwind").iterdir()} == before
    forced = invoke("init", "northwind", "--force")
    assert forced.exit_code == 0
    assert (here / "northwind" / "deliveries.csv").read_text().startswith("month,line,")


def test_init_writes_beside_other_files_of_a_non_empty_folder(here: Path):
    (here / "northwind").mkdir()
    (here / "northwind" / "notes.txt").write_text("keep")
    init(Path("northwind"))
    assert (here / "northwind" / "notes.txt").read_text() == "keep"
    assert len(list((here / "northwind").iterdir())) == 11


def test_init_into_a_folder_that_cannot_be_made_writes_nothing(here: Path):
    Path("taken").write_text("a file, not a folder")
    assert one_error_line(invoke("init", "taken/northwind")) == (
        "taken/northwind: cannot write the folder: Not a directory"
    )
    assert one_error_line(invoke("init", "taken")) == "taken: exists and is not a folder"
    assert os.listdir(here) == ["taken"]


# ----------------------------------------------------------------------------- filled in


@pytest.mark.e2e
def test_a_company_with_two_lines_runs_shows_its_history_and_passes_its_claims(here: Path):
    folder = fill_company(init(Path("northwind")), lines=True)
    set_baseline(folder, units=150000)

    history = invoke("history", "--data", "northwind")
    assert history.exit_code == 0, history.output
    gale = f"{GALE[-1]:,}"
    assert table_row(history.output, "2026-01", "Gale")[2:6] == [gale, "exact", gale, "0"]
    q4 = f"{sum(TOTAL[14:17]):,}"  # period, line, figure, qualifier, role, reconciled
    assert table_row(history.output, "2025-Q4", "total")[2:6] == [q4, "exact", "equal", q4]

    check = invoke("check", "--data", "northwind")
    assert check.exit_code == 0, check.output
    assert check.output.endswith("2 passed, 0 failed\n")

    run = invoke("run", "northwind/baseline.toml", "--n-paths", N_PATHS, "--out", "out")
    assert run.exit_code == 0, run.output
    assert run.output.startswith("baseline: P(150,000 in 2026) = ")
    assert f"({TOTAL[-1]:,} delivered so far in 2026)" in run.output
    assert (here / "out" / "summary.csv").read_text().count("\n") == 2


@pytest.mark.e2e
def test_a_company_of_totals_only_runs_shows_its_history_and_passes_its_claims(here: Path):
    folder = fill_company(init(Path("northwind")), lines=False)
    set_baseline(folder, units=150000)
    assert (folder / "lines.csv").read_text() == "line,first_month,source,note\n"

    history = invoke("history", "--data", "northwind")
    assert history.exit_code == 0, history.output
    assert table_row(history.output, "2026-01", "total")[2:4] == [f"{TOTAL[-1]:,}", "exact"]
    check = invoke("check", "--data", "northwind")
    assert check.exit_code == 0 and check.output.endswith("2 passed, 0 failed\n")
    run = invoke("run", "northwind/baseline.toml", "--n-paths", N_PATHS, "--out", "out")
    assert run.exit_code == 0, run.output
    assert run.output.startswith("baseline: P(150,000 in 2026) = ")


@pytest.mark.e2e
def test_left_out_the_target_is_the_latest_in_targets_csv(here: Path):
    folder = fill_company(init(Path("northwind")), lines=True)
    set_baseline(folder, units=None)
    run = invoke("run", "northwind/baseline.toml", "--n-paths", N_PATHS, "--out", "out")
    assert run.exit_code == 0, run.output
    assert run.output.startswith("baseline: P(150,000 in 2026) = ")
    assert "2025-12-20" in run.output  # the statement it used, with its date


def test_a_scenario_history_cannot_cover_is_one_line(here: Path):
    folder = fill_company(init(Path("northwind")), lines=True)
    set_baseline(folder, units=150000, as_of="2026-06")
    assert one_error_line(invoke("run", "northwind/baseline.toml")) == (
        "northwind/baseline.toml: history.as_of: 2026-06 is outside the history "
        "(2024-08 to 2026-01)"
    )


# ----------------------------------------------------------------------------- bad rows


def _example_figure(folder: Path) -> None:
    """The template's example row kept, its figure typed as "1.2k"."""
    path = folder / "deliveries.csv"
    path.write_text(path.read_text().replace(",1200,", ",1.2k,"))


def _misspelt_qualifier(folder: Path) -> None:
    path = folder / "deliveries.csv"
    lines = path.read_text().splitlines()
    lines[7] = lines[7].replace(",exact,", ",exatc,")
    path.write_text("\n".join(lines) + "\n")


def _missing_month(folder: Path) -> None:
    path = folder / "deliveries.csv"
    kept = [line for line in path.read_text().splitlines() if not line.startswith("2025-03,")]
    path.write_text("\n".join(kept) + "\n")


def _thousands_separator(folder: Path) -> None:
    path = folder / "deliveries.csv"
    lines = path.read_text().splitlines()
    month, line, figure, rest = lines[3].split(",", 3)
    lines[3] = f"{month},{line},{figure[:-3]},{figure[-3:]},{rest}"
    path.write_text("\n".join(lines) + "\n")


def _short_row(folder: Path) -> None:
    path = folder / "totals.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 2)[0]  # source and note left off
    path.write_text("\n".join(lines) + "\n")


ALL_COLUMNS = "month, line, figure, qualifier, source, note"
BAD = {
    "example row, bad figure": (
        _example_figure,
        False,
        "northwind/deliveries.csv:2: figure: expected a whole number, got '1.2k'",
    ),
    "misspelt qualifier": (
        _misspelt_qualifier,
        True,
        "northwind/deliveries.csv:8: qualifier: unknown value 'exatc' (expected one of: "
        "exact, at_least, approaching, approx, exact_third_party, derived; "
        "did you mean 'exact'?)",
    ),
    "missing month": (
        _missing_month,
        True,
        "northwind/deliveries.csv:16: month: missing month 2025-03 "
        "(no total between 2025-02 and 2025-04)",
    ),
    "thousands separator": (
        _thousands_separator,
        True,
        "northwind/deliveries.csv:4: note: cells after the last column: the row has 7 cells, "
        f"the header 6 ({ALL_COLUMNS}); write figures without separators (12000, not 12,000) "
        "and put text with a comma in double quotes",
    ),
    "row too short": (
        _short_row,
        True,
        "northwind/totals.csv:3: source: missing: the row has 4 cells, the header 6 "
        "(period, line, figure, qualifier, source, note)",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("command", ["history", "check", "run"])
def test_a_bad_template_row_is_one_line_naming_file_line_and_column(
    here: Path, case: str, command: str
):
    spoil, filled, problem = BAD[case]
    folder = init(Path("northwind"))
    if filled:
        fill_company(folder, lines=True)
    set_baseline(folder, units=150000)
    spoil(folder)
    args = ["run", "northwind/baseline.toml"] if command == "run" else [command, "--data"]
    if command != "run":
        args.append("northwind")
    assert one_error_line(invoke(*args)) == problem
    assert not (here / "out").exists()


@pytest.mark.e2e
def test_as_a_process_init_a_bad_row_then_the_fixed_folder_runs(here: Path):
    """One real process per command: the exit status and the streams a user sees, not
    click's test runner's."""

    def forecast(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "forecast", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=600)

    made = forecast("init", "northwind")
    assert made.returncode == 0, made.stderr
    folder = fill_company(here / "northwind", lines=True)
    set_baseline(folder, units=150000)
    good = (folder / "deliveries.csv").read_text()
    _misspelt_qualifier(folder)
    failed = forecast("run", "northwind/baseline.toml", "--n-paths", N_PATHS)
    assert (failed.returncode, failed.stdout) == (2, "")
    assert failed.stderr == f"error: {BAD['misspelt qualifier'][2]}\n"

    (folder / "deliveries.csv").write_text(good)
    ran = forecast("run", "northwind/baseline.toml", "--n-paths", N_PATHS, "--quiet")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("baseline: P(150,000 in 2026) = ")
