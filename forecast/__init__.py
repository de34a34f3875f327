"""forecast: will this delivery target be reached, and what would it take?

The public API, re-exported lazily so that importing the package (and ``forecast --help``)
does not load numpy, scipy or statsmodels.
"""

from __future__ import annotations

import importlib
from typing import Any

from forecast.errors import ConfigError, DataError, ForecastError

__version__ = "0.1.0"

_LAZY = {
    "run_scenario": "forecast.engine.run",
    "RunResult": "forecast.engine.pipeline",
    "load_scenario": "forecast.scenario.parse",
    "load_bundle": "forecast.load.bundle",
    "DataBundle": "forecast.load.bundle",
    "load_history": "forecast.load.history",
    "reconcile": "forecast.load.reconcile",
    "fit_model": "forecast.fit.model",
    "simulate_paths": "forecast.simulate.paths",
    "summarise": "forecast.summarise.summary",
}

__all__ = ["ConfigError", "DataError", "ForecastError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")
