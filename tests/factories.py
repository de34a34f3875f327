"""Small hand-made histories for unit tests: a company folder of a dozen months, written here.

Unit tests never read the bundled ``data/`` or ``scenarios/`` (``tests/conftest.py`` makes
them unreachable), so adding a month to the bundled data cannot break one. They run on the
project this module writes instead:

- ``data/``: the company "Acme Motors" (make ``Acme``) with two lines. ``M1`` delivers from
  2025-01 and is stopped in 2026-01 (an anomaly, as a retooling stop would be); ``M2`` starts
  with a partial month in 2025-08 (an anomaly too). Every month has a total; the lines are
  given from 2025-08. Quarterly and yearly totals pin the monthly figures down, with every
  qualifier the loader knows. Targets for 2025 and 2026, the 2026 one announced in January
  2026. The market-wide files: China-like monthly car sales 2018-01 to 2026-01 with a month
  shape and a Lunar New Year dip, the Lunar New Year calendar 2018 to 2030, best-seller lists
  with ten launches that rise and fade and one still young (three are the reference launches a backtest
  replays), and a model-error table from 2025-03.
- ``seeds/claims.csv``: dated claims about that history, all true.
- ``scenarios/``: a baseline as of 2026-01 and variants with every kind of event, named as
  the shipped ones are (``retool`` for ``su7_retool`` and so on), each reading ``../data``.

The numbers are chosen by hand so that sums can be checked by eye (``M1_2025``, ``TOTALS``);
the market and the best-seller lists are long series made by a formula without randomness.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.months import format_month, month_ordinal

SRC = "https://example.org/acme"
LINES = ("M1", "M2")
FIRST_MONTH = {"M1": "2025-01", "M2": "2025-08"}
LAST_MONTH = "2026-01"
# The true deliveries; what is published about them is in DELIVERIES and TOTALS_CSV.
M1 = (3100, 4600, 6200, 7400, 8300, 8900, 9400, 9700, 10100, 10600, 11000, 11800, 1500)
M2 = (900, 4200, 6900, 8800, 9900, 10800)  # from 2025-08
TOTAL_2025 = 131_800  # M1 101,100 + M2 30,700
JANUARY_2026 = 12_000  # reconciled: the published "over 12000", held at its bound
TARGET_2026 = 280_000

DELIVERIES = f"""\
month,line,figure,qualifier,source,note
2025-01,total,3100,exact,{SRC},company figure; deliveries began 2025-01-06
2025-02,total,4600,exact,{SRC},company figure
2025-03,total,6150,exact_third_party,{SRC},registrations
2025-04,total,7000,at_least,{SRC},company: over 7000
2025-05,total,8350,exact_third_party,{SRC},registrations
2025-06,total,8870,exact_third_party,{SRC},registrations
2025-07,total,9500,approx,{SRC},an estimate
2025-08,total,10600,exact_third_party,{SRC},registrations
2025-08,M1,9700,exact_third_party,{SRC},registrations
2025-08,M2,900,exact_third_party,{SRC},registrations; M2 launched 2025-08-25
2025-09,total,14250,exact_third_party,{SRC},registrations
2025-09,M1,10100,exact_third_party,{SRC},registrations
2025-09,M2,4200,exact_third_party,{SRC},registrations
2025-10,total,17500,exact_third_party,{SRC},registrations
2025-10,M1,10600,exact_third_party,{SRC},registrations
2025-10,M2,6900,exact_third_party,{SRC},registrations
2025-11,total,19800,exact_third_party,{SRC},registrations
2025-11,M1,11000,exact_third_party,{SRC},registrations
2025-11,M2,8800,exact_third_party,{SRC},registrations
2025-12,total,21700,derived,{SRC},the year less the first eleven months
2025-12,M1,11800,derived,{SRC},the year less the first eleven months
2025-12,M2,9900,exact_third_party,{SRC},registrations
2026-01,total,12000,at_least,{SRC},company: over 12000
2026-01,M2,10800,exact_third_party,{SRC},registrations
"""

TOTALS_CSV = f"""\
period,line,figure,qualifier,source,note
2025-Q1,total,13900,exact,{SRC},financial results
2025-Q2,total,24600,exact,{SRC},financial results
2025-Q3,total,34300,exact,{SRC},financial results
2025-Q4,total,59000,derived,,the year less the first three quarters
2025,total,131800,exact,{SRC},annual report
2025,M1,101100,exact_third_party,{SRC},registrations
2025-08..2025-12,M2,30000,at_least,{SRC},company: over 30000 since launch
2025-01..2026-01,total,150000,approaching,{SRC},company: approaching 150000 in all
"""

TARGETS = f"""\
year,units,units_high,kind,announced,reliability,scope,actual,source,note
2025,100000,,target,2025-01-10,ok,deliveries,131800,{SRC},initial target
2025,120000,,revision,2025-06-15,ok,deliveries,131800,{SRC},raised
2025,130000,,guidance,2025-11-20,low,deliveries,131800,{SRC},an analyst's expectation
2026,{TARGET_2026},,target,2026-01-05,ok,deliveries,,{SRC},announced in January
"""

LINES_CSV = f"""\
line,first_month,source,note
M1,2025-01,{SRC},the first line
M2,2025-08,{SRC},launched 2025-08-25: a partial first month
"""

ANOMALIES = f"""\
month,line,reason,source
2025-08,M2,partial first month: deliveries began 2025-08-25,{SRC}
2026-01,M1,line stopped for retooling,{SRC}
"""

COMPANY = f"""\
label,name,make,source,note
acme,Acme Motors,Acme,{SRC},a company made up for the tests
"""

CONTEXT = f"""\
date,topic,fact,source
2025-01-06,launch,M1 deliveries began,{SRC}
2025-06-15,target,2025 target raised to 120000,{SRC}
2025-08-25,launch,M2 deliveries began,{SRC}
2026-01,retool,M1 line stopped for retooling,{SRC}
"""

# The Lunar New Year and its holiday window; 2025 and 2026 as published, the others by the
# usual rule (the eve and six days after).
CALENDAR_YEARS = (
    (2018, "2018-02-16", "2018-02-15", "2018-02-21", "computed"),
    (2019, "2019-02-05", "2019-02-04", "2019-02-10", "computed"),
    (2020, "2020-01-25", "2020-01-24", "2020-01-30", "computed"),
    (2021, "2021-02-12", "2021-02-11", "2021-02-17", "computed"),
    (2022, "2022-02-01", "2022-01-31", "2022-02-06", "computed"),
    (2023, "2023-01-22", "2023-01-21", "2023-01-27", "computed"),
    (2024, "2024-02-10", "2024-02-09", "2024-02-15", "computed"),
    (2025, "2025-01-29", "2025-01-28", "2025-02-04", "published"),
    (2026, "2026-02-17", "2026-02-15", "2026-02-23", "published"),
    (2027, "2027-02-06", "2027-02-05", "2027-02-11", "computed"),
    (2028, "2028-01-26", "2028-01-25", "2028-01-31", "computed"),
    (2029, "2029-02-13", "2029-02-12", "2029-02-18", "computed"),
    (2030, "2030-02-03", "2030-02-02", "2030-02-08", "computed"),
)

MARKET_FIRST = "2018-01"
# Log month-of-year effects of the made-up market (January first) and its effect per
# Lunar New Year holiday day.
MONTH_EFFECTS = (0.10, -0.12, -0.03, -0.07, -0.07, -0.02, -0.08, -0.01, 0.07, 0.10, 0.15, 0.22)
HOLIDAY_EFFECT = -0.04

# The launches in the best-seller lists: (make, first month, a, b, peak units) of the
# lifecycle curve log y = c + a log(t+1) - b (t+1), whose peak is at t + 1 = a / b.
LAUNCHES = (
    ("Eta", "2018-08", 1.6, 0.15, 16_000),
    ("Theta", "2018-11", 2.0, 0.22, 14_000),
    ("Iota", "2019-03", 1.4, 0.12, 12_000),
    ("Kappa", "2019-08", 2.4, 0.25, 20_000),
    ("Alpha", "2021-09", 2.0, 0.20, 20_000),
    ("Beta", "2022-01", 1.5, 0.10, 15_000),
    ("Gamma", "2022-06", 2.5, 0.30, 25_000),
    ("Delta", "2022-11", 1.2, 0.12, 12_000),
    ("Epsilon", "2023-04", 1.8, 0.15, 18_000),
    ("Zeta", "2023-09", 2.2, 0.25, 22_000),
    ("Nu", "2025-04", 2.0, 0.25, 15_000),  # too young for the class: a short series to replay
)
REFERENCE_LAUNCHES = ("Alpha|One", "Gamma|One", "Epsilon|One")
LIST_CUTOFF = 2000  # a model below this in a month is not in that month's list

# Dated claims about the history, as seeds/claims.csv holds for the bundled data; all pass.
CLAIMS = f"""\
id,date,measure,period,line,figure,qualifier,tolerance,seed_file,note
jan2026_deliveries,2026-02-01,deliveries,2026-01,total,12000,at_least,,000_a.txt,over 12000 in January
cumulative_feb2026,2026-02-01,deliveries,..2026-01,total,150000,approaching,0.05,000_a.txt,approaching 150000 in all
deliveries_2025,2026-01-09,deliveries,2025,total,130000,at_least,,001_b.txt,more than 130000 in 2025
m2_first_five_months,2026-01-01,deliveries,2025-08..2025-12,M2,30000,at_least,,001_b.txt,M2 over 30000
m1_first_half,2026-01-01,deliveries,2025-01..2025-06,M1,38500,approx,0.05,001_b.txt,M1 about 38500
target_2025_initial,2026-01-09,target,2025,total,100000,exact,,001_b.txt,the first 2025 target
target_2026,2026-01-09,target,2026,total,{TARGET_2026},exact,,001_b.txt,the 2026 target
q3_2025,2025-10-15,deliveries,2025-Q3,total,34300,exact,,002_c.txt,third quarter results
"""

SCENARIOS = {
    "baseline": f"""\
[scenario]
name = "baseline"
description = "The fitted models as of January 2026, no events."

[target]
year = 2026
units = {TARGET_2026}

[history]
data = "../data"
as_of = "2026-01"

[model]
family = "auto"
parameter_uncertainty = true
noise_scale = 1.0
error_walk = "auto"

[simulation]
n_paths = 2000
seed = 20260201
""",
    "retool": """\
[scenario]
name = "retool"
description = "M1 stopped from February, then ramping back at a higher level."
extends = "baseline.toml"

[[events]]
kind = "gap"
name = "m1_retool"
line = "M1"
start = "2026-02-01"
weeks = { dist = "triangular", low = 6, mode = 9, high = 13 }
ramp_weeks = { dist = "triangular", low = 4, mode = 8, high = 16 }
level = { dist = "uniform", low = 0.0, high = 0.1 }

[lines.M1]
multiplier = { dist = "triangular", low = 1.0, mode = 1.5, high = 3.0 }
""",
    "retool_as_fitted": """\
[scenario]
name = "retool"
extends = "retool.toml"

[model]
error_walk = 0
""",
    "capacity": """\
[scenario]
name = "capacity"
description = "A monthly ceiling until a step up at an uncertain month."
extends = "baseline.toml"

[[events]]
kind = "capacity"
name = "plant_capacity"
limit = { dist = "uniform", low = 20000, high = 24000 }
step_month = { dist = "triangular", low = 9, mode = 11, high = 13 }
step_limit = { dist = "uniform", low = 28000, high = 34000 }
overflow = "backlog"
""",
    "dip": """\
[scenario]
name = "dip"
description = "History to December 2025; January 2026 hit by a tax change."
extends = "capacity.toml"

[history]
as_of = "2025-12"

[[events]]
kind = "dip"
name = "tax_change_january"
months = ["2026-01"]
factor = { dist = "pert", low = 0.6, mode = 0.8, high = 0.9 }
""",
    "launches": """\
[scenario]
name = "launches"
description = "Two new lines launched in the second half of 2026."
extends = "baseline.toml"

[[events]]
kind = "launch"
name = "n1_launch"
line = "N1"
start = { dist = "uniform", low = "2026-06", high = "2026-10" }
level = { dist = "triangular", low = 3000, mode = 6000, high = 12000 }
ramp_months = { dist = "triangular", low = 2, mode = 3, high = 6 }

[[events]]
kind = "launch"
name = "n2_launch"
line = "N2"
start = { dist = "uniform", low = "2026-08", high = 13 }
level = { dist = "triangular", low = 2000, mode = 4000, high = 8000 }
ramp_months = { dist = "triangular", low = 2, mode = 3, high = 6 }
""",
    "combined": """\
[scenario]
name = "combined"
description = "The retooling, a capacity ceiling, a new line and a 15% chance of a shock."
extends = "retool.toml"

[[events]]
kind = "capacity"
name = "plant_capacity"
limit = { dist = "uniform", low = 20000, high = 24000 }
step_month = { dist = "triangular", low = 9, mode = 11, high = 13 }
step_limit = { dist = "uniform", low = 28000, high = 34000 }
overflow = "backlog"

[[events]]
kind = "launch"
name = "n1_launch"
line = "N1"
start = { dist = "uniform", low = "2026-06", high = "2026-10" }
level = { dist = "triangular", low = 3000, mode = 6000, high = 12000 }
ramp_months = { dist = "triangular", low = 2, mode = 3, high = 6 }

[[events]]
kind = "shock"
name = "demand_shock"
probability = 0.15
start = { dist = "uniform", low = 2, high = 12 }
months = { dist = "uniform", low = 1, high = 4 }
size = { dist = "triangular", low = 0.05, mode = 0.15, high = 0.3 }
""",
}


@dataclass(frozen=True, slots=True)
class Project:
    """A hand-made project: ``data/``, ``seeds/`` and ``scenarios/`` under ``root``."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def claims(self) -> Path:
        return self.root / "seeds" / "claims.csv"

    def scenario(self, name: str) -> Path:
        """The path of a scenario in ``SCENARIOS`` (``baseline``, ``retool``, ...)."""
        return self.root / "scenarios" / f"{name}.toml"


def write_project(root: Path) -> Project:
    """Write the hand-made data, claims and scenarios under ``root`` (created if missing)."""
    write_data(root / "data")
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    (root / "seeds" / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    (root / "scenarios").mkdir(parents=True, exist_ok=True)
    for name, text in SCENARIOS.items():
        (root / "scenarios" / f"{name}.toml").write_text(text, encoding="utf-8")
    return Project(root)


def copy_project(project: Project, root: Path) -> Project:
    """A private copy of ``project`` under ``root``, to edit."""
    shutil.copytree(project.root, root, dirs_exist_ok=True)
    return Project(root)


def write_data(folder: Path) -> Path:
    """Write every data file of the hand-made company and market into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in data_files().items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def data_files() -> dict[str, str]:
    """The text of every data file of the hand-made company and market, by file name."""
    return {
        "company.csv": COMPANY,
        "lines.csv": LINES_CSV,
        "deliveries.csv": DELIVERIES,
        "totals.csv": TOTALS_CSV,
        "targets.csv": TARGETS,
        "anomalies.csv": ANOMALIES,
        "context.csv": CONTEXT,
        "calendar.csv": calendar_csv(),
        "market.csv": market_csv(),
        "bev_models.csv": bev_models_csv(),
        "reference_launches.csv": reference_launches_csv(),
        "calibration.csv": calibration_csv(),
    }


def calendar_csv() -> str:
    rows = ["year,lny_date,holiday_start,holiday_end,status,source,note"]
    for year, lny, start, end, status in CALENDAR_YEARS:
        source = SRC if status == "published" else ""
        rows.append(f"{year},{lny},{start},{end},{status},{source},")
    return "\n".join(rows) + "\n"


def _months(first: str, last: str = LAST_MONTH) -> np.ndarray:
    return np.arange(_ordinal(first), _ordinal(last) + 1)


def _ordinal(text: str) -> int:
    year, month = text.split("-")
    return month_ordinal(int(year), int(month))


def _holiday_days(months: np.ndarray) -> np.ndarray:
    """Days of each month inside its year's holiday window (as ``Calendar.holiday_days``)."""
    import datetime as dt

    days = np.zeros(months.size, dtype=int)
    for _, _, start, end, _ in CALENDAR_YEARS:
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        for k in range((last - first).days + 1):
            day = first + dt.timedelta(days=k)
            days[months == month_ordinal(day.year, day.month)] += 1
    return days


def _wiggle(t: np.ndarray, size: float) -> np.ndarray:
    """A fixed irregular sequence in [-size, size]: noise without a random generator."""
    return size * (((t * 7919) % 13) - 6) / 6


def market_csv() -> str:
    months = _months(MARKET_FIRST)
    t = np.arange(months.size, dtype=float)
    log_cars = (
        14.3
        + 0.004 * t
        + np.array(MONTH_EFFECTS)[months % 12]
        + HOLIDAY_EFFECT * _holiday_days(months)
        + _wiggle(t, 0.02)
    )
    cars = np.round(np.exp(log_cars)).astype(int)
    bev = np.round(cars * (0.06 + 0.4 * t / t[-1])).astype(int)
    rows = ["month,all_passenger_cars,bev_total,source"]
    rows += [f"{format_month(m)},{c},{b},{SRC}" for m, c, b in zip(months, cars, bev)]
    return "\n".join(rows) + "\n"


def _lifecycle(t: np.ndarray, a: float, b: float, peak: float) -> np.ndarray:
    c = math.log(peak) - a * math.log(a / b) + a
    return np.exp(c + a * np.log1p(t) - b * (t + 1.0) + _wiggle(t, 0.08))


def bev_models_csv() -> str:
    """Two steady sellers, one model at the list's cut-off every month, the launches and
    the company's own two lines (which the reference class must leave out)."""
    months = _months(MARKET_FIRST)
    t = np.arange(months.size, dtype=float)
    series: dict[str, np.ndarray] = {
        "Old|Sedan": 30_000 * (1 + 0.1 * np.sin(t / 3)),
        "Old|Hatch": 18_000 * (1 + 0.1 * np.cos(t / 4)),
        "Small|Tail": LIST_CUTOFF + (t * 37) % 300,
    }
    for make, first, a, b, peak in LAUNCHES:
        start = _ordinal(first) - months[0]
        units = np.zeros(months.size)
        units[start:] = _lifecycle(t[: months.size - start], a, b, peak)
        series[f"{make}|One"] = units
    for line, values in (("M1", M1), ("M2", M2)):
        units = np.zeros(months.size)
        start = _ordinal(FIRST_MONTH[line]) - months[0]
        units[start : start + len(values)] = values
        series[f"Acme|{line}"] = units
    rows = ["month,make,model,units,source"]
    for j, month in enumerate(months):
        for name, units in series.items():
            if units[j] >= LIST_CUTOFF:
                make, model = name.split("|")
                rows.append(f"{format_month(month)},{make},{model},{round(units[j])},{SRC}")
    return "\n".join(rows) + "\n"


def reference_launches_csv() -> str:
    rows = ["make,model,source,note"]
    rows += [
        f"{name.replace('|', ',')},{SRC},replayed by the backtest" for name in REFERENCE_LAUNCHES
    ]
    return "\n".join(rows) + "\n"


def calibration_csv() -> str:
    """The model error as a backtest would have measured it, from 2025-03 to 2026-01."""
    rows = ["as_of,error_walk,n_errors,source"]
    for k, month in enumerate(_months("2025-03")):
        rows.append(f"{format_month(month)},{0.2 + 0.005 * k:.4f},{24 + 6 * k},a made-up backtest")
    return "\n".join(rows) + "\n"
