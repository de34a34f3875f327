"""Backtests: replay past cut-offs, forecast, and score against what happened.

- ``cases``: a scored case (one cut-off, series and method), the settings, the cut-offs.
- ``replay``: fit and simulate at each cut-off, for the company and for reference launches.
- ``baselines``: plain forecasts the model has to beat.
- ``recalibration``: the engine's past errors -> the error walk of each month.
- ``run``: a whole backtest, in two passes (as fitted, then with the walk).
- ``report``: pooled scores, targets, reliability, and the CSV rows.
- ``targets``, ``target_baselines``, ``target_report``: the target study (P(hit) of every
  announced target at every month-end cut-off, against simple rules), its scores and rows.
"""
