"""Backtest figures: a reliability diagram and PIT histograms (matplotlib, imported lazily)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from forecast.backtest.replay import REPORT_METHODS, Case, pooled_pits, reliability
from forecast.errors import ForecastError
from forecast.summarise.scoring import pit_histogram

NOMINAL = tuple(np.round(np.arange(0.1, 1.0, 0.1), 2)) + (0.95,)


def plot_backtest(cases: Sequence[Case], path: str | Path) -> Path:
    """Reliability diagram (nominal against observed central-interval coverage, per method)
    beside the PIT histogram of each method; written to ``path`` (PNG, PDF or SVG)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ForecastError("--plot needs matplotlib: pip install 'forecast[plot]'") from None
    methods = [m for m in REPORT_METHODS if pooled_pits(cases, m).size]
    fig, axes = plt.subplots(1, 1 + len(methods), figsize=(4 * (1 + len(methods)), 4))
    _reliability_axis(axes[0], cases)
    for ax, method in zip(axes[1:], methods):
        _pit_axis(ax, pooled_pits(cases, method), method)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _reliability_axis(ax, cases: Sequence[Case]) -> None:
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="ideal")
    for method, observed in reliability(cases, NOMINAL).items():
        ax.plot(NOMINAL, observed, marker="o", ms=3, label=method)
    ax.set(
        xlabel="nominal coverage",
        ylabel="observed coverage",
        title="Reliability",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(fontsize=7)


def _pit_axis(ax, pits: np.ndarray, method: str) -> None:
    shares = pit_histogram(pits)
    ax.bar(np.arange(0.05, 1.0, 0.1), shares, width=0.1, edgecolor="white")
    ax.axhline(0.1, color="grey", ls="--", lw=1)
    ax.set(xlabel="PIT", ylabel="share", title=f"PIT: {method} (n={pits.size})", xlim=(0, 1))
