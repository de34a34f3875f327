"""Reconcile the published figures into one monthly series per model line.

(A total-only history has one series, the total itself: ``forecast.load.history``.)

Every published figure is a linear statement about the unknown monthly deliveries
``x[line, month]``: a month of one line, a month of all lines (``total``), or a sum over a
quarter, year or range. How a figure binds depends on its qualifier:

=================== ======================================================
``exact``           hard equality (company or financial results)
``at_least``        hard lower bound, and a weak pull toward the bound
``approaching``     hard upper bound ("approaching 600,000")
``exact_third_party`` soft: registration data, trusted but not official
``derived``         soft, weaker: arithmetic on other figures
``approx``          soft, weakest: estimates
=================== ======================================================

Soft figures enter a weighted least-squares objective on *relative* deviations, so a
755-unit correction is spread over the months in proportion to their size. The continuous
optimum is then rounded to the nearest whole-unit solution that still satisfies every hard
constraint (a small mixed-integer programme), so quarters and years add up to the unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from forecast.errors import DataError
from forecast.load.csvfile import display_path
from forecast.load.history import TOTAL, History, Observation
from forecast.months import format_month

SOFT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"exact_third_party": 1.0, "derived": 0.3, "approx": 0.05, "at_least": 0.01}
)
HARD_ROLES: Mapping[str, str] = MappingProxyType(
    {"exact": "equal", "at_least": "at least", "approaching": "at most"}
)
SCALE = 1e4  # variables in units of 10,000 cars keep the optimiser well conditioned
FTOL = 1e-14  # SLSQP's stopping tolerance on the objective (absolute)


@dataclass(frozen=True, slots=True, kw_only=True)
class Use:
    """How one published figure was used, and what the reconciled series gives for it."""

    observation: Observation
    role: str  # "equal", "at least", "at most" or "target"
    weight: float
    reconciled: int

    @property
    def adjustment(self) -> int:
        return self.reconciled - self.observation.figure


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconciled:
    """One monthly series per line; ``values`` is (n_lines, n_months), 0 before a line starts."""

    months: np.ndarray
    lines: tuple[str, ...]
    values: np.ndarray
    first_month: Mapping[str, int]
    uses: tuple[Use, ...]

    @property
    def total(self) -> np.ndarray:
        return self.values.sum(axis=0)

    def line(self, name: str) -> np.ndarray:
        return self.values[self.lines.index(name)]

    def value(self, line: str, first: int, last: int) -> int:
        """Deliveries of ``line`` (or ``total``) summed over months ``first..last``."""
        mask = (self.months >= first) & (self.months <= last)
        series = self.total if line == TOTAL else self.line(line)
        return int(round(series[mask].sum()))


@dataclass(frozen=True, slots=True)
class _System:
    """The figures as linear rows over the unknowns, split by how they bind."""

    keys: tuple[tuple[int, int], ...]  # (line index, month index) per unknown
    rows: np.ndarray  # (n_obs, n_unknowns) 0/1
    observations: tuple[Observation, ...]


def reconcile(history: History) -> Reconciled:
    """The reconciled monthly series of ``history``; ``DataError`` if the figures conflict."""
    system = _build_system(history)
    _check_identified(history, system)
    hard = _hard_constraints(system)
    _check_feasible(system, hard)
    continuous = _least_squares(system, hard)
    whole = _round_to_units(continuous, hard)
    values = np.zeros((len(history.lines), history.months.size))
    for (line, month), value in zip(system.keys, whole):
        values[line, month] = value
    values.setflags(write=False)
    sums = system.rows @ whole
    uses = tuple(
        Use(
            observation=obs,
            role=_role(obs),
            weight=SOFT_WEIGHTS.get(obs.qualifier, 0.0),
            reconciled=int(round(s)),
        )
        for obs, s in zip(system.observations, sums)
    )
    return Reconciled(
        months=history.months,
        lines=history.lines,
        values=values,
        first_month=history.first_month,
        uses=uses,
    )


def _role(obs: Observation) -> str:
    return HARD_ROLES.get(obs.qualifier, "target")


def _build_system(history: History) -> _System:
    keys = tuple(
        (li, mi)
        for li, line in enumerate(history.lines)
        for mi, month in enumerate(history.months)
        if month >= history.first_month[line]
    )
    observations = history.monthly + history.totals
    rows = np.zeros((len(observations), len(keys)))
    for oi, obs in enumerate(observations):
        for ki, (li, mi) in enumerate(keys):
            month = history.months[mi]
            if obs.first <= month <= obs.last and (
                obs.line == TOTAL or obs.line == history.lines[li]
            ):
                rows[oi, ki] = 1.0
    return _System(keys=keys, rows=rows, observations=observations)


def _check_identified(history: History, system: _System) -> None:
    """Each unknown must be pinned down by some figure, or the split between lines is a guess."""
    if np.linalg.matrix_rank(system.rows) == len(system.keys):
        return
    loose = []
    for ki, (li, mi) in enumerate(system.keys):
        others = np.delete(system.rows, ki, axis=1)
        if np.linalg.matrix_rank(others) == np.linalg.matrix_rank(system.rows):
            loose.append(f"{format_month(history.months[mi])} {history.lines[li]}")
    raise DataError(
        f"{display_path(history.data_dir / 'deliveries.csv')}: cannot split the total between "
        f"lines for: {', '.join(loose)} (a month needs a row per model line beside its total, "
        "or for all lines but one)"
    )


@dataclass(frozen=True, slots=True)
class _Hard:
    a_eq: np.ndarray
    b_eq: np.ndarray
    a_ub: np.ndarray  # a_ub @ x <= b_ub
    b_ub: np.ndarray
    eq_obs: tuple[Observation, ...]
    ub_obs: tuple[Observation, ...]


def _hard_constraints(system: _System) -> _Hard:
    eq = [i for i, o in enumerate(system.observations) if o.qualifier == "exact"]
    ge = [i for i, o in enumerate(system.observations) if o.qualifier == "at_least"]
    le = [i for i, o in enumerate(system.observations) if o.qualifier == "approaching"]
    figures = np.array([o.figure for o in system.observations], dtype=float)
    a_ub = (
        np.vstack([-system.rows[ge], system.rows[le]])
        if ge or le
        else np.zeros((0, len(system.keys)))
    )
    b_ub = np.concatenate([-figures[ge], figures[le]])
    return _Hard(
        a_eq=system.rows[eq],
        b_eq=figures[eq],
        a_ub=a_ub,
        b_ub=b_ub,
        eq_obs=tuple(system.observations[i] for i in eq),
        ub_obs=tuple(system.observations[i] for i in ge + le),
    )


def _feasible(a_eq: np.ndarray, b_eq: np.ndarray, a_ub: np.ndarray, b_ub: np.ndarray) -> bool:
    from scipy.optimize import linprog

    n = a_eq.shape[1] if a_eq.size else a_ub.shape[1]
    result = linprog(
        np.zeros(n),
        A_ub=a_ub if a_ub.size else None,
        b_ub=b_ub if b_ub.size else None,
        A_eq=a_eq if a_eq.size else None,
        b_eq=b_eq if b_eq.size else None,
        bounds=(0, None),
        method="highs",
    )
    return result.status == 0


def _check_feasible(system: _System, hard: _Hard) -> None:
    """Infeasible hard figures are a data error naming the rows that cannot all hold."""
    if _feasible(hard.a_eq, hard.b_eq, hard.a_ub, hard.b_ub):
        return
    conflict = []
    for i, obs in enumerate(hard.eq_obs):
        keep = np.arange(len(hard.eq_obs)) != i
        if _feasible(hard.a_eq[keep], hard.b_eq[keep], hard.a_ub, hard.b_ub):
            conflict.append(obs)
    for i, obs in enumerate(hard.ub_obs):
        keep = np.arange(len(hard.ub_obs)) != i
        if _feasible(hard.a_eq, hard.b_eq, hard.a_ub[keep], hard.b_ub[keep]):
            conflict.append(obs)
    named = conflict or list(hard.eq_obs + hard.ub_obs)
    raise DataError(
        [
            f"{obs.where}: {obs.period} {obs.line} {obs.qualifier} {obs.figure}: conflicts with the other figures"
            for obs in named
        ]
    )


def _least_squares(system: _System, hard: _Hard) -> np.ndarray:
    """Minimise weighted squared relative deviations from the soft figures, hard ones holding."""
    from scipy.optimize import LinearConstraint, OptimizeResult, minimize

    soft = [i for i, o in enumerate(system.observations) if o.qualifier in SOFT_WEIGHTS]
    obs = [system.observations[i] for i in soft]
    figures = np.array([max(o.figure, 1) for o in obs], dtype=float) / SCALE
    weights = np.array([SOFT_WEIGHTS[o.qualifier] for o in obs])
    rows = system.rows[soft] / figures[:, None]  # relative deviation = rows @ z - 1
    sqrt_w = np.sqrt(weights)[:, None]
    design, rhs = rows * sqrt_w, sqrt_w[:, 0]

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        residual = design @ z - rhs
        return float(residual @ residual), 2.0 * design.T @ residual

    constraints = []
    if hard.a_eq.size:
        # SLSQP refuses more equalities than unknowns even when they agree (every month of
        # every line exact and the totals exact too): keep a basis of them, the same set of
        # solutions since the figures were found feasible.
        basis = _independent_rows(hard.a_eq)
        a_eq, b_eq = hard.a_eq[basis], hard.b_eq[basis]
        constraints.append(LinearConstraint(a_eq, b_eq / SCALE, b_eq / SCALE))
    if hard.a_ub.size:
        constraints.append(LinearConstraint(hard.a_ub, -np.inf, hard.b_ub / SCALE))
    start = np.linalg.lstsq(
        np.vstack([design, hard.a_eq]) if hard.a_eq.size else design,
        np.concatenate([rhs, hard.b_eq / SCALE]),
        rcond=None,
    )[0]

    def solve(ftol: float) -> OptimizeResult:
        return minimize(
            objective,
            np.clip(start, 0, None),
            jac=True,
            method="SLSQP",
            bounds=[(0, None)] * len(system.keys),
            constraints=constraints,
            options={"ftol": ftol, "maxiter": 500},
        )

    result = solve(FTOL)
    if not result.success and result.fun > 1.0:
        # SLSQP's ftol is absolute. Figures that conflict strongly (a soft figure far from
        # the exact totals) leave a large objective whose rounding error exceeds FTOL, and
        # the line search then stops at the optimum as "Positive directional derivative".
        # The same tolerance relative to the objective's size makes that a success.
        result = solve(FTOL * result.fun)
    if not result.success:
        raise DataError(f"reconciliation did not converge: {result.message}")
    return result.x * SCALE


def _independent_rows(rows: np.ndarray) -> np.ndarray:
    """Indices of a maximal set of linearly independent rows of ``rows``, taken in file
    order (the first statement of a fact is kept: a month's own figure before a total
    that repeats it, which keeps the problem as well scaled as the figures are)."""
    kept: list[int] = []
    for i in range(rows.shape[0]):
        if np.linalg.matrix_rank(rows[[*kept, i]]) > len(kept):
            kept.append(i)
    return np.array(kept, dtype=int)


def _round_to_units(continuous: np.ndarray, hard: _Hard) -> np.ndarray:
    """The whole-unit series closest (in total absolute change) to ``continuous``."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = continuous.size
    # unknowns: x (n, integer) then t (n) with t >= |x - continuous|
    cost = np.concatenate([np.zeros(n), np.ones(n)])
    eye = np.eye(n)
    constraints = [
        LinearConstraint(np.hstack([eye, -eye]), -np.inf, continuous),
        LinearConstraint(np.hstack([-eye, -eye]), -np.inf, -continuous),
    ]
    if hard.a_eq.size:
        constraints.append(
            LinearConstraint(np.hstack([hard.a_eq, np.zeros_like(hard.a_eq)]), hard.b_eq, hard.b_eq)
        )
    if hard.a_ub.size:
        constraints.append(
            LinearConstraint(np.hstack([hard.a_ub, np.zeros_like(hard.a_ub)]), -np.inf, hard.b_ub)
        )
    integrality = np.concatenate([np.ones(n), np.zeros(n)])
    result = milp(
        cost,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(np.zeros(2 * n), np.full(2 * n, np.inf)),
    )
    if result.x is None:
        raise DataError(f"no whole-unit series satisfies the exact figures: {result.message}")
    return np.round(result.x[:n])


HISTORY_COLUMNS = ("month", "line", "raw", "qualifier", "reconciled", "adjustment", "source")


def history_rows(history: History, reconciled: Reconciled) -> list[tuple]:
    """Per month, one row per active line and one for the total, raw figure beside reconciled."""
    raw = {(obs.first, obs.line): obs for obs in history.monthly}
    rows = []
    for mi, month in enumerate(reconciled.months):
        active = [line for line in reconciled.lines if month >= reconciled.first_month[line]]
        # a total-only history's one series is the total: one row, not two
        for line in active if TOTAL in active else (*active, TOTAL):
            value = reconciled.total[mi] if line == TOTAL else reconciled.line(line)[mi]
            obs = raw.get((int(month), line))
            rows.append(
                (
                    format_month(month),
                    line,
                    obs.figure if obs else None,
                    obs.qualifier if obs else None,
                    int(value),
                    int(value) - obs.figure if obs else None,
                    (obs.source or obs.note) if obs else None,
                )
            )
    return rows


PERIOD_COLUMNS = (
    "period",
    "line",
    "figure",
    "qualifier",
    "role",
    "reconciled",
    "adjustment",
    "source",
)


def period_rows(reconciled: Reconciled) -> list[tuple]:
    """How each quarterly, annual or range figure was used and what the series gives for it."""
    return [
        (
            u.observation.period,
            u.observation.line,
            u.observation.figure,
            u.observation.qualifier,
            u.role,
            u.reconciled,
            u.adjustment,
            u.observation.source or u.observation.note,
        )
        for u in reconciled.uses
        if u.observation.first != u.observation.last
    ]


def year_totals(reconciled: Reconciled, first_delivery: int | None = None) -> dict[int, int]:
    """Year -> total deliveries, for each calendar year the reconciled series covers whole:
    every month in the series, or before ``first_delivery`` (zero)."""
    months = {int(m): float(v) for m, v in zip(reconciled.months, reconciled.total)}
    totals = {}
    for year in sorted({m // 12 for m in months}):
        year_range = range(year * 12, year * 12 + 12)
        before = first_delivery if first_delivery is not None else year * 12
        if all(m in months or m < before for m in year_range):
            totals[year] = int(round(sum(months.get(m, 0.0) for m in year_range)))
    return totals
