"""The folder ``forecast init`` writes: one company's CSV templates, a README and a baseline.

Each CSV gets its loader's columns (``forecast.load``: the header is never a second copy)
and one example row that its loader accepts; ``README.md`` says what every column means,
which files are required, the qualifiers, how totals constrain the months and what to do
next; ``baseline.toml`` is a scenario whose ``history.data`` is the folder itself.

``company_folder_files`` makes the files' text (pure); ``write_company_folder`` writes them,
all or none, and refuses to overwrite a file unless told to.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from forecast.errors import ForecastError
from forecast.load import claims, company, context, history, paths, targets
from forecast.load.bundle import CONTEXT_FILE
from forecast.load.csvfile import display_path
from forecast.months import format_month, month_ordinal
from forecast.write.atomic import write_new_folder
from forecast.write.files import write_files
from forecast.write.tables import csv_text

__all__ = [
    "README_FILE",
    "SCENARIO_FILE",
    "EXAMPLES",
    "TEMPLATES",
    "Template",
    "company_folder_files",
    "write_company_folder",
]

README_FILE = "README.md"
SCENARIO_FILE = "baseline.toml"
EXAMPLE = "example row: replace it with your own"
SOURCE = "where it was published: a web address (only `derived` figures may leave it empty)"
NOTE = "free text, optional"


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    """One CSV of a company folder: its loader's ``columns``, what a ``row`` is, what each
    column ``means``, and whether the folder needs it. Its example row is
    ``EXAMPLES[name](year)``, cells by column, dated in ``year``: the year before the target."""

    name: str
    required: bool
    columns: tuple[str, ...]
    row: str
    means: Mapping[str, str]


def _month(year: int, month: int) -> str:
    return format_month(month_ordinal(year, month))


# Each example row is accepted by its file's loader, and together they reconcile ("over 1,200"
# in January, exactly 3,900 in the first quarter: January is 3,900 while it is the only month),
# so a new folder already shows in `forecast history` and passes `forecast check`. Left in a
# filled-in folder, the deliveries and totals rows clash with the real months (an error).
EXAMPLES: Mapping[str, Callable[[int], Mapping[str, str]]] = {
    paths.COMPANY_FILE: lambda y: {
        "label": "my_company",
        "name": "My Company",
        "make": "",
        "source": "https://example.com/about",
        "note": EXAMPLE,
    },
    "lines.csv": lambda y: {
        "line": "A1",
        "first_month": _month(y, 1),
        "source": "https://example.com/launch",
        "note": EXAMPLE + " (or leave only the header if you report totals only)",
    },
    "deliveries.csv": lambda y: {
        "month": _month(y, 1),
        "line": history.TOTAL,
        "figure": "1200",
        "qualifier": "at_least",
        "source": "https://example.com/deliveries-january",
        "note": EXAMPLE,
    },
    "totals.csv": lambda y: {
        "period": f"{y}-Q1",
        "line": history.TOTAL,
        "figure": "3900",
        "qualifier": "exact",
        "source": "https://example.com/quarterly-results",
        "note": EXAMPLE + " (or leave only the header)",
    },
    "targets.csv": lambda y: {
        "year": str(y + 1),
        "units": "20000",
        "units_high": "",
        "kind": "target",
        "announced": f"{y}-12-15",
        "reliability": "ok",
        "scope": "deliveries",
        "actual": "",
        "source": "https://example.com/target",
        "note": EXAMPLE,
    },
    "anomalies.csv": lambda y: {
        "month": _month(y, 2),
        "line": "A1",
        "reason": "example row: a plant stop; replace it or leave only the header",
        "source": "https://example.com/plant-stop",
    },
    CONTEXT_FILE: lambda y: {
        "date": f"{y}-01-10",
        "topic": "launch",
        "fact": "example row: A1 deliveries began; replace it or leave only the header",
        "source": "https://example.com/launch",
    },
    claims.CLAIMS_FILE: lambda y: {
        "id": "first_month",
        "date": f"{y}-02-01",
        "measure": "deliveries",
        "period": _month(y, 1),
        "line": history.TOTAL,
        "figure": "1000",
        "qualifier": "at_least",
        "tolerance": "",
        "seed_file": "https://example.com/deliveries-january",
        "note": EXAMPLE + " (or leave only the header)",
    },
}

_FIGURE = "the number of cars, a whole number without separators (12000, not 12,000)"
_PERIOD = (
    "a year (`2025`), a quarter (`2025-Q2`), a range of months (`2025-01..2025-10`) or a month"
)

TEMPLATES: tuple[Template, ...] = (
    Template(
        name=paths.COMPANY_FILE,
        required=True,
        columns=company.COLUMNS,
        row="the company (exactly one row)",
        means={
            "label": "one word for the company in outputs: letters, digits, `_` or `-`",
            "name": "the company's name as reports print it",
            "make": "how the market's best-seller lists (`bev_models.csv`) spell its make, so "
            "that its own launches stay out of the reference class; empty if they do not",
            "source": "where the facts about the company come from: a web address",
            "note": NOTE,
        },
    ),
    Template(
        name="lines.csv",
        required=True,
        columns=history.LINES_COLUMNS,
        row="model line; a company that reports totals only keeps the header alone",
        means={
            "line": "the model line's name, as in `deliveries.csv` (not `total`)",
            "first_month": "its first month of deliveries, `YYYY-MM` (before it: zero)",
            "source": "where its launch was reported: a web address",
            "note": NOTE,
        },
    ),
    Template(
        name="deliveries.csv",
        required=True,
        columns=history.DELIVERIES_COLUMNS,
        row="month and line: a `total` row for every month from the first to the last, "
        "none missing, and rows for the model lines where known",
        means={
            "month": "the month, `YYYY-MM`",
            "line": "`total` (all lines) or a line of `lines.csv`",
            "figure": "deliveries in that month: " + _FIGURE,
            "qualifier": "how exact the figure is (see Qualifiers below)",
            "source": SOURCE,
            "note": NOTE,
        },
    ),
    Template(
        name="totals.csv",
        required=True,
        columns=history.TOTALS_COLUMNS,
        row="published sum over a quarter, a year or a range of months (the header alone "
        "if you have none)",
        means={
            "period": _PERIOD + " (`2025-03`)",
            "line": "`total` or a line of `lines.csv`",
            "figure": "deliveries over the period: " + _FIGURE,
            "qualifier": "how exact the figure is (see Qualifiers below)",
            "source": SOURCE,
            "note": NOTE,
        },
    ),
    Template(
        name="targets.csv",
        required=True,
        columns=targets.COLUMNS,
        row="public statement of an annual target (the header alone if there is none)",
        means={
            "year": "the calendar year the target is for, `YYYY`",
            "units": "the target, in cars (for a range, its low end)",
            "units_high": "a range's high end; empty otherwise",
            "kind": "what was said (see Target kinds below)",
            "announced": "the day it was announced, `YYYY-MM-DD`: a forecast as of a month "
            "sees only the targets announced by then",
            "reliability": "`ok` (the company or a major outlet), `low` (one weaker outlet, "
            "or unconfirmed) or `denied` (the company denied it)",
            "scope": "what the target counts, in a few words (deliveries; sales with exports)",
            "actual": "the year's outcome in the same scope once known; empty before",
            "source": "where it was published: a web address",
            "note": NOTE,
        },
    ),
    Template(
        name="anomalies.csv",
        required=False,
        columns=history.ANOMALIES_COLUMNS,
        row="month and line disrupted by a one-off event (a plant stop, a retooling): it "
        "stays in the history but is left out of model fitting",
        means={
            "month": "the month, `YYYY-MM`",
            "line": "a line of `lines.csv`, or `total`",
            "reason": "what happened",
            "source": "where it was reported: a web address",
        },
    ),
    Template(
        name=CONTEXT_FILE,
        required=False,
        columns=context.COLUMNS,
        row="dated fact around the figures (a launch, capacity, a policy): nothing is "
        "computed from them; they travel with the data",
        means={
            "date": "the day (`YYYY-MM-DD`) or month (`YYYY-MM`)",
            "topic": "one word: launch, capacity, target, policy, ...",
            "fact": "the fact",
            "source": "where it was reported: a web address",
        },
    ),
    Template(
        name=claims.CLAIMS_FILE,
        required=False,
        columns=claims.COLUMNS,
        row="dated claim from an article, which `forecast check` tests against the "
        "reconciled history (the header alone if you have none)",
        means={
            "id": "a unique word naming the claim",
            "date": "the day it was published, `YYYY-MM-DD`",
            "measure": " or ".join(f"`{m}`" for m in claims.MEASURES)
            + ": deliveries over the period, or the year's target in `targets.csv`",
            "period": _PERIOD + ", or `..2026-01` for everything up to a month; a year "
            "for a target",
            "line": "`total` or a line of `lines.csv`",
            "figure": "the figure claimed: " + _FIGURE,
            "qualifier": ", ".join(f"`{q}`" for q in claims.CLAIM_QUALIFIERS)
            + " (as in Qualifiers below)",
            "tolerance": "for `approaching` and `approx`: a fraction such as 0.05; empty: 0",
            "seed_file": "the article or file the claim comes from",
            "note": NOTE,
        },
    ),
)

QUALIFIER_MEANS = {
    "exact": "the company's own figure or financial results: holds to the unit",
    "at_least": '"over N": the month holds at least N, pulled a little toward N',
    "approaching": '"approaching N": at most N',
    "approx": "an estimate: a weak pull toward N",
    "exact_third_party": "registration or other third-party data: trusted but not official, "
    "moved as little as possible to fit the exact figures",
    "derived": "arithmetic on other figures: a weaker pull; may leave `source` empty",
}
TARGET_KIND_MEANS = {
    "target": "a formal target for the year",
    "revision": "a later change to a target",
    "range": "a range, `units` to `units_high`",
    "guidance": "a growth rate or loose statement, turned into a number of cars (never a default target)",
    "partial": "a goal for part of the scope only, e.g. exports (never a default target)",
}


def company_folder_files(shown: str, *, year: int, as_of: str) -> dict[str, str]:
    """The files of a new company folder, name -> text.

    ``shown`` is the folder as the user typed it (for the commands in the README); ``year``
    and ``as_of`` are the baseline's placeholders (the example rows are dated the year
    before ``year``).
    """
    files = {}
    for t in TEMPLATES:
        example = EXAMPLES[t.name](year - 1)
        files[t.name] = csv_text(t.columns, [[example[column] for column in t.columns]])
    files[README_FILE] = readme_text(shown)
    files[SCENARIO_FILE] = scenario_text(year, as_of)
    return files


def library_placeholders() -> tuple[int, str]:
    """The bundled baseline's target year and ``as_of``: the placeholders of a new folder's
    baseline (data, not a date in code, and not the clock: the history ends where it ends)."""
    with open(paths.SCENARIOS / paths.BASELINE, "rb") as file:
        table = tomllib.load(file)
    return int(table["target"]["year"]), str(table["history"]["as_of"])


def write_company_folder(folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write the files of ``company_folder_files`` into ``folder``, all or none.

    A folder that does not exist is created with its missing parents. An existing file of
    the same name is overwritten only with ``force``; otherwise nothing is written. Every
    problem is a one-line ``ForecastError`` naming the folder.
    """
    folder = Path(folder)
    shown = display_path(folder)
    year, as_of = library_placeholders()
    files = company_folder_files(shown, year=year, as_of=as_of)
    try:
        if not folder.exists():
            return write_new_folder(folder, files)
        if not folder.is_dir():
            raise ForecastError(f"{shown}: exists and is not a folder")
        existing = [name for name in files if (folder / name).exists()]
        if existing and not force:
            raise ForecastError(
                f"{shown}: already has {', '.join(existing)}; nothing written "
                "(forecast init --force overwrites them)"
            )
        return write_files(folder, files)
    except OSError as error:
        raise ForecastError(f"{shown}: cannot write the folder: {error.strerror}") from None


def scenario_text(year: int, as_of: str) -> str:
    """``baseline.toml``: the folder's own baseline, every key commented."""
    return f"""\
# The baseline for the company in this folder: the fitted trends alone, no events.
# Written by `forecast init`; fill in [target] and [history].as_of, then run it:
#   forecast run path/to/this/baseline.toml
# A variant names this file (extends = "baseline.toml") and states only what it changes;
# every key is described in the scenario reference (docs/scenarios.md).

[scenario]
name = "baseline"                 # shown in outputs (default: the file's name)
description = "Fitted growth and seasonality, no events."

[target]
year = {year}                       # the calendar year whose total is forecast
# units = 100000                  # the annual target; left out, the latest target for `year`
#                                 # in targets.csv announced by as_of (a range: its low end)

[history]
data = "."                        # the company folder, relative to this file: this folder
as_of = "{as_of}"                 # the last month used (YYYY-MM): your last filled-in month,
#                                 # or an earlier one to see what was known then

[model]
family = "auto"                   # growth curve per line, chosen by cross-validation
parameter_uncertainty = true      # draw the growth parameters from their fitted covariance
noise_scale = 1.0                 # multiplies the fitted month-to-month noise
error_walk = "auto"               # the model error measured by backtests; 0: none

[simulation]
n_paths = 100000                  # Monte Carlo paths
seed = 20260201                   # the same seed gives the same numbers
"""


def readme_text(shown: str) -> str:
    """``README.md``: the steps, the files and their columns, the qualifiers."""
    sections = [
        _README_HEAD.format(folder=shown),
        _steps(shown),
        _files_table(),
        *(_columns(t) for t in TEMPLATES),
        _choices("Qualifiers", "qualifier", history.QUALIFIERS, QUALIFIER_MEANS),
        _README_TOTALS,
        _choices("Target kinds", "kind", targets.KINDS, TARGET_KIND_MEANS),
        _README_MARKET,
    ]
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


_README_HEAD = """\
# Your company's deliveries, for `forecast`

Written by `forecast init {folder}`. The CSV files here hold one company's monthly
deliveries and announced targets, every figure with its source; `baseline.toml` is a scenario
that forecasts from them. Each CSV has its header line and one example row (its note starts
with "example row"): replace the example rows with your own, keep the headers. Write plain
CSV in UTF-8: numbers without separators, text that contains a comma in double quotes."""


def _steps(shown: str) -> str:
    return f"""\
## Steps

1. `company.csv`: your company's label and name.
2. `deliveries.csv`: a `total` row for every month, from the first month of deliveries to
   the last, with no month missing: 12 months at the least (the fit learns growth and
   seasonality from them; more is better). With model lines, list them in `lines.csv` and
   add their rows; with totals only, leave `lines.csv` with its header alone.
3. `totals.csv`: published quarterly or annual totals (optional rows, header alone if none).
4. `targets.csv`: the announced targets, with the day each was announced.
5. Look at the reconciled months and test the claims:
   `forecast history --data {shown}` and `forecast check --data {shown}`.
6. In `baseline.toml` set `[target] year` (and `units`, or leave it out to use the
   latest target in `targets.csv`) and `[history] as_of`, then run:
   `forecast run {Path(shown) / SCENARIO_FILE}`

Every mistake is reported as `file:line: column: problem`, all of them at once."""


def _files_table() -> str:
    rows = [
        f"| `{t.name}` | {'required' if t.required else 'optional'} | {t.row} |" for t in TEMPLATES
    ]
    return "\n".join(["## Files", "", "| file | needed | one row per |", "|---|---|---|", *rows])


def _columns(template: Template) -> str:
    rows = [f"| `{column}` | {template.means[column]} |" for column in template.columns]
    return "\n".join([f"### `{template.name}`", "", "| column | meaning |", "|---|---|", *rows])


def _choices(title: str, column: str, choices: tuple[str, ...], means: Mapping[str, str]) -> str:
    rows = [f"| `{choice}` | {means[choice]} |" for choice in choices]
    return "\n".join([f"## {title}", "", f"| `{column}` | meaning |", "|---|---|", *rows])


_README_TOTALS = """\
## How the figures constrain the months

Every row of `deliveries.csv` and `totals.csv` is a statement about the monthly deliveries
of a line (or of all lines: `total`). `forecast history` finds one monthly series per line
that satisfies every `exact`, `at_least` and `approaching` figure: a quarter's exact total
makes its three months add up to it to the unit, and a month's `total` is the sum of its
lines. The other figures move as little as possible (in proportion to their size) to fit.
With two or more lines, every month needs figures for all lines but one, or the split of
the total between them is a guess (and an error says which months). Figures that cannot
all hold are an error naming the rows that conflict."""

_README_MARKET = """\
## Market data

Seasonality, the holiday calendar and the launches that short lines borrow their shape
from come from market-wide files. Without a `market.csv` in this folder the bundled ones
(China's passenger-car market) serve; a folder with its own `market.csv` must also have
`calendar.csv` and `bev_models.csv` in the bundled files' formats."""
