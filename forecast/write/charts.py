"""Every chart the commands draw (``--plot``); the only module that uses matplotlib.

Every number drawn comes from the object the CSVs are written from: a run's ``Summary``
(monthly fan, cumulative median, target pace, P(hit), quantiles), a ``Sensitivity`` (the
tornado), the ``summary.csv`` rows of several scenarios (``compare``), or the backtest's
scored cases (reliability diagram and PIT histograms). Only the histogram of annual totals
needs the paths' totals too. Run, sensitivity and compare charts are written as PNG and SVG
beside the CSVs; the backtest's one image takes its format from the file name.

matplotlib is the optional ``plot`` extra (``pip install -e '.[plot]'`` in a checkout,
``plot_hint``), imported only here and only when a chart is drawn; figures are ``Figure`` objects on the Agg canvas, never made
through pyplot, so no global backend or figure state is touched. Every file is written
atomically (``forecast.write.atomic``): a failed save leaves no partial image.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forecast.errors import ForecastError
from forecast.months import format_month
from forecast.summarise.summary import QUANTILES, Summary
from forecast.write.atomic import atomic_open

if TYPE_CHECKING:
    from forecast.backtest.cases import Case
    from forecast.sweeps.sensitivity import Sensitivity

__all__ = [
    "PLOT_HINT",
    "plot_hint",
    "cumulative_series",
    "fan_series",
    "image_format",
    "month_axis_label",
    "plot_backtest",
    "plot_compare",
    "plot_run",
    "plot_tornado",
    "require_matplotlib",
]

PLOT_HINT = "--plot needs matplotlib"
PLOT_REQUIREMENT = "matplotlib>=3.8"  # the plot extra (pyproject.toml)
FORMATS = ("png", "svg")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ACTUAL, FAN, MEDIAN, TARGET, LOW, HIGH = (
    "#222222",
    "#3b75af",
    "#1f4e79",
    "#c0392b",
    "#3b75af",
    "#e08a2c",
)
BOX = {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8}
NOMINAL = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)  # reliability diagram's levels


def require_matplotlib() -> None:
    """Raise ``ForecastError(plot_hint())`` unless matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ForecastError(plot_hint()) from None


def plot_hint(direct_url: str | None = None, cwd: Path | None = None) -> str:
    """What to install for ``--plot``, as fits how this package was installed.

    The package's own ``plot`` extra from where it was installed (PEP 610's
    ``direct_url.json``): an editable checkout ``pip install -e '.[plot]'`` (or its
    folder), a folder or a wheel ``pip install 'PATH[plot]'``. Installed from an index, or
    not known: the extra's one requirement, since the name ``forecast`` on an index may be
    another project. ``direct_url``/``cwd``: for tests (default: read them).
    """
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlparse

    if direct_url is None:
        try:
            direct_url = metadata.distribution("forecast").read_text("direct_url.json")
        except metadata.PackageNotFoundError:
            direct_url = None
    fallback = f"{PLOT_HINT}: pip install '{PLOT_REQUIREMENT}'"
    try:
        origin = json.loads(direct_url or "null")
        url = urlparse(origin["url"])
    except (ValueError, TypeError, KeyError):
        return fallback
    if url.scheme != "file":
        return fallback
    where = Path(unquote(url.path))
    cwd = Path.cwd() if cwd is None else cwd
    shown = "." if where == cwd else str(where)
    editable = origin.get("dir_info", {}).get("editable", False)
    return f"{PLOT_HINT}: pip install {'-e ' if editable else ''}'{shown}[plot]'"


def image_format(path: str | Path) -> str:
    """The image format named by ``path``'s suffix, e.g. ``"png"``; ``ValueError`` if
    matplotlib cannot write it (matplotlib must be importable: ``require_matplotlib``)."""
    from matplotlib.backend_bases import FigureCanvasBase

    fmt = Path(path).suffix[1:].lower()
    if fmt not in FigureCanvasBase.get_supported_filetypes():
        raise ValueError(
            f"{str(path)!r} does not end in an image format matplotlib can write "
            "(e.g. .png, .svg, .pdf)"
        )
    return fmt


# ---------------------------------------------------------------- data behind the charts


def fan_series(summary: Summary) -> dict[str, np.ndarray]:
    """Monthly deliveries as drawn: month positions 1..12 and values per series.

    ``actual`` and ``p05``..``p95`` are NaN where a month is simulated / reported; ``need``
    is the run-rate still needed, over the simulated months only (NaN elsewhere).
    """
    rows = summary.months
    nan = np.full(len(rows), np.nan)
    out = {"x": np.arange(1.0, len(rows) + 1)}
    out["actual"] = np.array([np.nan if m.actual is None else m.actual for m in rows])
    for i, q in enumerate(QUANTILES):
        out[f"p{round(q * 100):02d}"] = np.array(
            [np.nan if m.quantiles is None else m.quantiles[i] for m in rows]
        )
    out["need"] = np.where(np.isnan(out["actual"]), summary.required_monthly, nan)
    return out


def cumulative_series(summary: Summary) -> dict[str, np.ndarray]:
    """Cumulative deliveries as drawn: the month-wise median of the cumulative sums and the pace."""
    return {
        "x": np.arange(1.0, len(summary.months) + 1),
        "cum_p50": np.array([m.cum_p50 for m in summary.months]),
        "target_pace": np.array([m.target_pace for m in summary.months]),
    }


# ---------------------------------------------------------------- one run


def plot_run(
    summary: Summary, out_dir: str | Path, *, name: str = "", totals: np.ndarray | None = None
) -> list[Path]:
    """Write the run's charts into ``out_dir``; return the files written.

    ``[name-]fan``: monthly deliveries (actuals, the fan p05-p95 and p25-p75, the median and
    the run-rate still needed); ``[name-]cumulative``: cumulative median against the pace
    to the target; ``[name-]distribution`` (only with ``totals`` (n_paths,)): the histogram of
    annual totals with the target, P(hit) and the 5/50/95% quantiles marked.
    """
    prefix = f"{name}-" if name else ""
    written = _save(_fan_figure(summary), out_dir, f"{prefix}fan")
    written += _save(_cumulative_figure(summary), out_dir, f"{prefix}cumulative")
    if totals is not None:
        figure = _distribution_figure(summary, np.asarray(totals, dtype=float))
        written += _save(figure, out_dir, f"{prefix}distribution")
    return written


def _fan_figure(summary: Summary) -> Any:
    fig, ax = _figure()
    s = fan_series(summary)
    ax.fill_between(s["x"], s["p05"], s["p95"], color=FAN, alpha=0.18, lw=0, label="5-95% of paths")
    ax.fill_between(s["x"], s["p25"], s["p75"], color=FAN, alpha=0.35, lw=0, label="25-75%")
    ax.plot(s["x"], s["p50"], color=MEDIAN, lw=2, marker="o", ms=3, label="median")
    ax.bar(s["x"], s["actual"], width=0.6, color=ACTUAL, label="reported")
    for x, y in zip(s["x"], s["actual"]):
        if not np.isnan(y):
            ax.annotate(
                f"{y:,.0f}",
                (x, y),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 2),
                textcoords="offset points",
            )
    if summary.months_remaining:
        label = f"needed to reach {summary.target:,}: {summary.required_monthly:,.0f} a month"
        ax.plot(s["x"], s["need"], color=TARGET, ls="--", lw=1.5, label=label)
    _month_axis(ax, summary)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("deliveries per month (units)")
    ax.set_title(f"{summary.scenario}: monthly deliveries in {summary.target_year}")
    # below the axes: a wide fan leaves no empty corner inside them
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=8, frameon=False)
    return fig


def _cumulative_figure(summary: Summary) -> Any:
    fig, ax = _figure()
    s = cumulative_series(summary)
    end = s["cum_p50"][-1]
    short = f", {summary.target - end:,.0f} short" if end < summary.target else ""
    ax.plot(
        s["x"],
        s["cum_p50"],
        color=MEDIAN,
        lw=2,
        marker="o",
        ms=3,
        label=f"median cumulative total: {end:,.0f} by December{short}",
    )
    ax.plot(
        s["x"],
        s["target_pace"],
        color=TARGET,
        ls="--",
        lw=1.5,
        label=f"pace that reaches {summary.target:,}",
    )
    ax.axhline(summary.target, color=TARGET, lw=1, alpha=0.6)
    ax.annotate(
        f"target {summary.target:,}",
        (1, summary.target),
        color=TARGET,
        fontsize=9,
        va="bottom",
        xytext=(0, 2),
        textcoords="offset points",
    )
    _month_axis(ax, summary)
    ax.set_ylim(bottom=0, top=summary.target * 1.1)
    ax.set_ylabel("cumulative deliveries (units)")
    ax.set_title(f"{summary.scenario}: cumulative deliveries against {summary.target:,}")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


def _distribution_figure(summary: Summary, totals: np.ndarray) -> Any:
    fig, ax = _figure()
    # A thin far tail would squeeze the histogram into a corner: show up to the 99.5th
    # percentile (and the target) and say how many paths lie beyond.
    upper = max(float(np.quantile(totals, 0.995)), summary.target * 1.05)
    shown = totals[totals <= upper]
    edges = _edges_at(shown, summary.target, n_bins=80)
    ax.hist(shown[shown < summary.target], bins=edges, color=FAN, alpha=0.55, label="missed")
    ax.hist(shown[shown >= summary.target], bins=edges, color=FAN, label="target reached")
    beyond = totals.size - shown.size
    if beyond:
        ax.annotate(
            f"{beyond:,} paths above {upper:,.0f} not shown",
            (1, 1.01),
            xycoords="axes fraction",
            ha="right",
            va="bottom",
            fontsize=8,
        )
    ax.axvline(summary.target, color=TARGET, lw=2)
    top = ax.get_ylim()[1]
    text = f"target {summary.target:,}\nP(hit) = {summary.p_hit:.1%} ± {summary.p_hit_se:.1%}"
    ax.annotate(
        text,
        (summary.target, top * 0.97),
        color=TARGET,
        fontsize=9,
        va="top",
        xytext=(5, 0),
        textcoords="offset points",
        bbox=BOX,
    )
    for q in (0.05, 0.5, 0.95):
        value = summary.quantile(q)
        ax.axvline(value, color=ACTUAL, lw=1, ls=":")
        height = {0.05: 0.55, 0.5: 0.75, 0.95: 0.55}[q]  # stagger so neighbours do not collide
        ax.annotate(
            f"p{round(q * 100):02d}\n{value:,.0f}",
            (value, top * height),
            fontsize=8,
            ha="right",
            va="top",
            xytext=(-3, 0),
            textcoords="offset points",
            bbox=BOX,
        )
    _thousands(ax.xaxis)
    ax.set_xlabel(f"deliveries in {summary.target_year} (units)")
    ax.set_ylabel(f"paths (of {summary.n_paths:,})")
    ax.set_title(f"{summary.scenario}: distribution of the {summary.target_year} total")
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    return fig


def _edges_at(values: np.ndarray, edge: float, *, n_bins: int) -> np.ndarray:
    """About ``n_bins`` equal bins over ``values`` with ``edge`` on a bin boundary."""
    lo, hi = float(values.min()), float(values.max())
    width = max(hi - lo, 1.0) / n_bins
    first = np.floor((lo - edge) / width)
    last = max(np.ceil((hi - edge) / width), first + 1)
    return edge + width * np.arange(first, last + 1)


def month_axis_label(summary: Summary) -> str:
    """The month axis's caption: how much of the year is reported, e.g. "2026, reported
    through 2026-01", or "2026, every month forecast (none reported yet)"."""
    n_reported = len(summary.months) - summary.months_remaining
    if n_reported == 0:
        return f"{summary.target_year}, every month forecast (none reported yet)"
    return f"{summary.target_year}, reported through {format_month(summary.months[n_reported - 1].month)}"


def _month_axis(ax: Any, summary: Summary) -> None:
    ax.set_xticks(np.arange(1, len(summary.months) + 1))
    ax.set_xticklabels([MONTH_NAMES[m.month % 12] for m in summary.months])
    ax.set_xlabel(month_axis_label(summary))
    _thousands(ax.yaxis)


# ---------------------------------------------------------------- sensitivity


def plot_tornado(
    result: Sensitivity, out_dir: str | Path, *, name: str = "tornado", top: int = 20
) -> list[Path]:
    """Write ``name.png``/``.svg``: the ``top`` largest swings, in P(hit) and in the median.

    Each input has two bars from the baseline: the answer with the input at its 10th
    (blue) and at its 90th percentile (orange), everything else random on the same draws.
    """
    effects = list(result.effects[:top])[::-1]  # largest at the top
    fig, (left, right) = _figure(ncols=2, sharey=True, height=1.6 + 0.32 * len(effects), width=12)
    y = np.arange(len(effects))
    _tornado_panel(
        left,
        y,
        [(e.p_hit_low * 100, e.p_hit_high * 100) for e in effects],
        result.p_hit * 100,
        f"P(hit) = {result.p_hit:.1%}",
    )
    _tornado_panel(
        right,
        y,
        [(e.median_low, e.median_high) for e in effects],
        result.median,
        f"median {result.median:,.0f}",
    )
    left.set_yticks(y)
    left.set_yticklabels([_input_label(e, result.target_year) for e in effects], fontsize=8)
    left.set_xlabel(f"P({result.target:,} in {result.target_year}) (%)")
    left.legend(loc="lower right", fontsize=8, frameon=False)
    right.axvline(result.target, color=TARGET, lw=1.5)
    right.annotate(
        f"target {result.target:,}",
        (result.target, len(effects) - 0.5),
        color=TARGET,
        fontsize=8,
        ha="right",
        va="bottom",
        xytext=(-3, 0),
        textcoords="offset points",
    )
    _thousands(right.xaxis)
    right.set_xlabel(f"median {result.target_year} deliveries (units)")
    n_all = len(result.effects)
    which = f"top {len(effects)} of {n_all} inputs" if len(effects) < n_all else "every input"
    fig.suptitle(
        f"{result.scenario}: what moves the answer most\n{which}, each held at its 10th "
        f"and at its 90th percentile, all else random ({result.n_paths:,} paths)"
    )
    return _save(fig, out_dir, name)


def _tornado_panel(
    ax: Any, y: np.ndarray, pairs: list[tuple[float, float]], base: float, base_label: str
) -> None:
    low = np.array([p[0] for p in pairs]) - base
    high = np.array([p[1] for p in pairs]) - base
    ax.barh(y + 0.18, low, left=base, height=0.36, color=LOW, label="input at its 10th pct")
    ax.barh(y - 0.18, high, left=base, height=0.36, color=HIGH, label="input at its 90th pct")
    ax.axvline(base, color=ACTUAL, lw=1)
    ax.annotate(
        base_label, (base, -0.6), fontsize=8, ha="center", va="top", bbox=BOX, annotation_clip=False
    )
    ax.set_ylim(-1.0, len(pairs) - 0.4)
    ax.grid(axis="x", alpha=0.3)


def _input_label(effect: Any, year: int) -> str:
    from forecast.sweeps.sensitivity import value_text

    if effect.low_value is None or effect.high_value is None:
        return effect.input
    low, high = (
        value_text(v, effect.is_month, year) for v in (effect.low_value, effect.high_value)
    )
    return f"{effect.input} ({low} to {high})"


# ---------------------------------------------------------------- several scenarios


def plot_compare(
    rows: Sequence[Mapping[str, Any]], out_dir: str | Path, *, name: str = "compare"
) -> list[Path]:
    """Write ``name.png``/``.svg``: P(hit) ± 2 s.e. and the annual-total range per scenario.

    ``rows`` are ``summary.csv`` rows (dicts by column; strings or numbers), one per
    scenario, drawn top to bottom in the given order. Rows of ``comparison.csv`` also name
    their ``company`` and ``as_of``: a label shows them when they differ between rows, and
    each row's target is marked on its own line when the targets differ.
    """
    rows = list(rows)[::-1]
    fig, (left, right) = _figure(ncols=2, sharey=True, height=2.2 + 0.45 * len(rows), width=12)
    y = np.arange(len(rows))
    p = np.array([float(r["p_hit"]) for r in rows]) * 100
    se = np.array([float(r["p_hit_se"]) for r in rows]) * 100
    left.barh(y, p, xerr=2 * se, color=FAN, height=0.6, capsize=3)
    for yi, pi in zip(y, p):
        left.annotate(
            f"{pi:.1f}%",
            (pi, yi),
            fontsize=8,
            va="center",
            xytext=(8, 6),
            textcoords="offset points",
        )
    left.set_yticks(y)
    vary = [c for c in ("company", "as_of") if len({str(r.get(c, "")) for r in rows}) > 1]
    left.set_yticklabels([_compare_label(r, vary) for r in rows])
    left.set_xlim(0, 100)
    left.set_xlabel("P(target reached) (%), bars ± 2 s.e.")
    _compare_ranges(right, y, rows)
    years = {str(r.get("target_year", "")) for r in rows}
    year = f" in {years.pop()}" if len(years) == 1 and "" not in years else ""
    targets = {float(r["target"]) for r in rows}
    target = f"{targets.pop():,.0f}" if len(targets) == 1 else "each one's target"
    fig.suptitle(f"scenarios compared: P({target}{year}) and the range of annual deliveries")
    return _save(fig, out_dir, name)


def _compare_ranges(ax: Any, y: np.ndarray, rows: list[Mapping[str, Any]]) -> None:
    def col(name: str) -> np.ndarray:
        return np.array([float(r[name]) for r in rows])

    ax.hlines(y, col("p05"), col("p95"), color=FAN, lw=2, label="5-95%")
    ax.hlines(y, col("p25"), col("p75"), color=MEDIAN, lw=7, label="25-75%")
    ax.plot(col("p50"), y, "o", color="white", mec=ACTUAL, label="median")
    targets = col("target")
    if len(set(targets)) > 1:  # other companies or years: each row against its own target
        ax.plot(targets, y, "|", color=TARGET, ms=14, mew=2, label="target")
        _compare_axes(ax, rows)
        return
    target = float(targets[0]) if rows else 0.0
    ax.axvline(target, color=TARGET, lw=1.5)
    ax.annotate(
        f"target {target:,.0f}",
        (target, len(rows) - 0.5),
        color=TARGET,
        fontsize=8,
        ha="right",
        va="bottom",
        xytext=(-3, 0),
        textcoords="offset points",
    )
    _compare_axes(ax, rows)


def _compare_axes(ax: Any, rows: list[Mapping[str, Any]]) -> None:
    ax.set_ylim(-0.7, len(rows) - 0.2)
    _thousands(ax.xaxis)
    ax.set_xlabel("annual deliveries (units)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=4, fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)


def _compare_label(row: Mapping[str, Any], vary: Sequence[str]) -> str:
    """The scenario's name, with its company and as_of where the rows differ in them."""
    extra = ", ".join(str(row[column]) for column in vary)
    return f"{row['scenario']} ({extra})" if extra else str(row["scenario"])


# ---------------------------------------------------------------- backtest


def plot_backtest(cases: Sequence[Case], path: str | Path) -> Path:
    """Write ``path`` (PNG, SVG, PDF, ...: by its suffix): the reliability diagram beside
    one PIT histogram per method that has scored cases.

    The diagram puts each method's observed coverage of central intervals against their
    nominal level (``NOMINAL``); a calibrated forecast lies on the diagonal and has a flat
    PIT histogram.
    """
    # The pooling rules (which cases count, in which method order) belong to the backtest.
    from forecast.backtest.report import REPORT_METHODS, pooled_pits, reliability

    pits = {m: pooled_pits(cases, m) for m in REPORT_METHODS}
    pits = {m: p for m, p in pits.items() if p.size}
    return _save_as(_backtest_figure(reliability(cases, NOMINAL), pits), Path(path), dpi=110)


def _backtest_figure(coverage: Mapping[str, np.ndarray], pits: Mapping[str, np.ndarray]) -> Any:
    n = 1 + len(pits)
    fig, axes = _figure(ncols=n, width=4.0 * n, height=4.0)
    axes = np.atleast_1d(axes)
    _reliability_panel(axes[0], coverage)
    for ax, (method, values) in zip(axes[1:], pits.items()):
        _pit_panel(ax, values, method)
    return fig


def _reliability_panel(ax: Any, coverage: Mapping[str, np.ndarray]) -> None:
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="ideal")
    for method, observed in coverage.items():
        ax.plot(NOMINAL, observed, marker="o", ms=3, label=method)
    ax.set(
        xlabel="nominal coverage",
        ylabel="observed coverage",
        title="Reliability",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(fontsize=7)


def _pit_panel(ax: Any, pits: np.ndarray, method: str) -> None:
    from forecast.summarise.scoring import pit_histogram

    ax.bar(np.arange(0.05, 1.0, 0.1), pit_histogram(pits), width=0.1, edgecolor="white")
    ax.axhline(0.1, color="grey", ls="--", lw=1)  # a calibrated forecast's share per bin
    ax.set(xlabel="PIT", ylabel="share", title=f"PIT: {method} (n={pits.size})", xlim=(0, 1))


# ---------------------------------------------------------------- matplotlib plumbing


def _figure(*, ncols: int = 1, width: float = 9.0, height: float = 5.0, sharey: bool = False):
    """A Figure on the Agg canvas (no pyplot), with one axes or a row of ``ncols``."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, sharey=sharey)
    for ax in np.atleast_1d(axes):
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def _thousands(axis: Any) -> None:
    from matplotlib.ticker import StrMethodFormatter

    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


@contextlib.contextmanager
def _reproducible() -> Iterator[None]:
    """Byte-stable SVG (fixed ids, no date) with text kept as text."""
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "forecast", "svg.fonttype": "none"}):
        yield


def _save(fig: Any, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` into ``out_dir``, each atomically."""
    return [_save_as(fig, Path(out_dir) / f"{stem}.{fmt}") for fmt in FORMATS]


# Keys that would stamp a file with the date or library version, so that equal charts
# are equal files (PNG and SVG; other formats keep matplotlib's defaults).
_NO_STAMP: dict[str, dict[str, None]] = {"png": {"Software": None}, "svg": {"Date": None}}


def _save_as(fig: Any, path: Path, *, dpi: int = 150) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names."""
    fmt = image_format(path)
    with _reproducible(), atomic_open(path, "wb") as handle:
        fig.savefig(handle, format=fmt, dpi=dpi, metadata=_NO_STAMP.get(fmt))
    return path


def plot_target_reliability(rows: Sequence[Sequence[Any]], path: str | Path) -> Path:
    """Write ``path`` (format by its suffix): the target study's reliability diagram.

    ``rows`` are the study's reliability table (``forecast.backtest.target_report``:
    method, bin, count, mean P(hit), observed frequency). Each method's bins are a line of
    observed frequency against mean P(hit), with marker area by count; a reliable P(hit)
    lies on the diagonal.
    """
    fig, ax = _figure(width=5.5, height=5.0)
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="ideal")
    methods: dict[str, list[tuple[float, float, int]]] = {}
    for method, _, n, mean_p, observed in rows:
        if n:
            methods.setdefault(str(method), []).append((float(mean_p), float(observed), int(n)))
    for method, points in methods.items():
        x, y, n = (np.array(v) for v in zip(*points))
        line = ax.plot(x, y, lw=1, label=f"{method} (n={int(n.sum())})")[0]
        ax.scatter(x, y, s=8 + 4 * n, color=line.get_color(), alpha=0.6)
    ax.set(
        xlabel="P(hit) given (mean in bin)",
        ylabel="share of targets hit",
        title="Target study: reliability of P(hit)",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(fontsize=7)
    return _save_as(fig, Path(path), dpi=110)
