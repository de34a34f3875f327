"""Time the Monte Carlo engine against the numpy floor of drawing the same number of normals.

Runs each size in its own subprocess so peak memory (``ru_maxrss``) belongs to that size:

    python benchmarks/bench_engine.py            # 1e4, 1e5, 1e6 paths
    python benchmarks/bench_engine.py 1e7        # any sizes

The model is built by hand (no fitting): two lines (logistic SU7, lifecycle YU7) with
parameter covariance and AR(1) noise, 12 simulated months (as of December 2025), and every
event kind active with uncertain inputs (gap with the fitted ramp back, dip, boost, line
capacity with a step, total capacity with backlog, a launch on the fitted ramp, a shock).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecast.fit.refclass import ReferenceRamp  # noqa: E402
from forecast.fit.types import FittedModel, LineFit  # noqa: E402
from forecast.months import month_ordinal  # noqa: E402
from forecast.scenario.distributions import Fixed, Triangular, Uniform  # noqa: E402
from forecast.scenario.types import (  # noqa: E402
    CapacityEvent,
    GapEvent,
    LaunchEvent,
    LineSettings,
    MultiplierEvent,
    Scenario,
    ShockEvent,
)
from forecast.simulate.paths import simulate_paths  # noqa: E402
from forecast.simulate.plan import Plan, make_plan  # noqa: E402

AS_OF = month_ordinal(2025, 12)
JAN = AS_OF + 1
SIZES = (10_000, 100_000, 1_000_000)


class Season:
    table = np.log([0.75, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 1.1, 1.25])

    def log_factors(self, months: np.ndarray) -> np.ndarray:
        return self.table[np.asarray(months) % 12]


def reference_ramp() -> ReferenceRamp:
    """A ``ReferenceRamp`` like the fitted one: 101 quantile levels x 36 months, higher u faster."""
    levels = np.linspace(0.0, 1.0, 101)
    months = np.arange(36.0)
    table = np.clip(months[None, :] / (2.0 + 4.0 * (1.0 - levels[:, None])), 0.0, 1.0)
    return ReferenceRamp(levels=levels, table=table)


def build_plan() -> Plan:
    su7 = LineFit(
        line="SU7",
        family="logistic",
        param_names=("logK", "r", "t0"),
        params=np.array([np.log(30_000.0), 0.5, 3.0]),
        cov=np.diag([0.01, 0.002, 0.2]),
        origin=month_ordinal(2024, 4),
        sigma=0.12,
        phi=0.4,
        last_resid=0.05,
        last_month=AS_OF,
    )
    yu7 = LineFit(
        line="YU7",
        family="lifecycle",
        param_names=("c", "a", "b"),
        params=np.array([9.0, 2.0, 0.08]),
        cov=np.diag([0.02, 0.01, 0.0001]),
        origin=month_ordinal(2025, 6),
        sigma=0.15,
        phi=0.3,
        last_resid=-0.02,
        last_month=AS_OF,
    )
    fitted = FittedModel(lines=(su7, yu7), seasonality=Season(), ramp=reference_ramp(), as_of=AS_OF)
    events = (
        GapEvent(
            name="su7_retool",
            line="SU7",
            start=Triangular(low=1.0, mode=1.2, high=1.5),
            weeks=Triangular(low=4, mode=6, high=10),
            ramp_weeks=None,
            level=Fixed(value=0.0),
        ),
        MultiplierEvent(
            name="jan_dip", kind="dip", line=None, months=(JAN,), factor=Uniform(low=0.8, high=0.95)
        ),
        MultiplierEvent(
            name="dec_push",
            kind="boost",
            line=None,
            months=(JAN + 11,),
            factor=Uniform(low=1.0, high=1.2),
        ),
        CapacityEvent(
            name="su7_plant",
            line="SU7",
            limit=Uniform(low=35_000, high=45_000),
            step_month=Uniform(low=6, high=9),
            step_limit=Fixed(value=60_000),
            overflow="lost",
        ),
        CapacityEvent(
            name="all_plants",
            line=None,
            limit=Fixed(value=80_000),
            step_month=None,
            step_limit=None,
            overflow="backlog",
        ),
        LaunchEvent(
            name="yu9",
            line="YU9",
            start=Uniform(low=6, high=9),
            level=Triangular(low=5000, mode=10_000, high=15_000),
            ramp_months=None,
        ),
        ShockEvent(
            name="recall",
            line=None,
            probability=0.2,
            start=Uniform(low=2, high=11),
            months=Uniform(low=1, high=3),
            size=Uniform(low=0.1, high=0.3),
        ),
    )
    scenario = Scenario(
        name="bench",
        description="",
        path=None,
        target_year=2026,
        target_units=550_000,
        data_dir=Path("."),
        as_of=AS_OF,
        lines={"YU7": LineSettings(multiplier=Uniform(low=0.9, high=1.1))},
        events=events,
    )
    # with the model-error walk, as real runs use (the cost does not depend on its value)
    return make_plan(fitted, scenario, {}, error_walk=0.25)


def run_one(n: int) -> dict[str, float]:
    plan = build_plan()
    simulate_paths(plan, seed=1, n_paths=1000)  # warm up imports and caches
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    repeats = 3 if n <= 100_000 else 1
    engine = min(
        _timed(lambda: simulate_paths(plan, seed=20260201, n_paths=n)) for _ in range(repeats)
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rng = np.random.default_rng(0)
    floor = min(_timed(lambda: rng.standard_normal((n, 12))) for _ in range(repeats))
    return {
        "n": n,
        "engine": engine,
        "floor": floor,
        "base_mb": base / 1024,
        "peak_mb": peak / 1024,
    }


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(run_one(int(float(argv[1])))))
        return
    sizes = [int(float(a)) for a in argv] or list(SIZES)
    print(
        f"{'paths':>10} {'engine s':>9} {'paths/s':>12} {'floor s':>8} {'ratio':>6} {'peak MB':>8} {'base MB':>8}"
    )
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        )
        r = json.loads(out.stdout)
        print(
            f"{n:>10,} {r['engine']:>9.3f} {n / r['engine']:>12,.0f} {r['floor']:>8.3f} "
            f"{r['engine'] / r['floor']:>6.1f} {r['peak_mb']:>8.0f} {r['base_mb']:>8.0f}"
        )
    print("peak MB: max RSS of the subprocess (includes the (n, 12) output and the floor's array);")
    print("base MB: after imports and a 1,000-path warm-up.")


if __name__ == "__main__":
    main(sys.argv[1:])
