"""The simulation's uncertain inputs: their names, and which of them are uncertain.

An input's name is the key of its random stream (``forecast.simulate.paths``: common random
numbers), the name ``pinned`` and ``record_inputs`` use, and its row in the sensitivity
table; renaming one changes its draws. The inputs of a plan are

- ``model.params``, ``model.noise``, ``model.error_walk``: every fitted line's growth
  parameters, noise and model-error walk at once;
- ``lines.<L>.family``, ``lines.<L>.params``, ``lines.<L>.noise``, ``lines.<L>.error_walk``
  for each fitted line, ``lines.<L>.noise`` for each launched line, and
  ``lines.<L>.multiplier``;
- ``events.<name>.<input>`` for each input its kind declares (``INPUTS`` in
  ``forecast.scenario.types``): ``start``, ``weeks``, ``factor``, ..., ``ramp`` (the speed
  of a fitted ramp) and ``occurs`` (whether a shock happens);
- ``supply.ceiling``: the quantile at which a path's company ceiling sits, every month
  (``forecast.fit.supply``; its recorded value is the last month's ceiling), and
  ``supply.cancel``: the share of the backlog cancelled each month.

The ``params``, ``noise`` and ``error_walk`` inputs are vectors (one normal per parameter or
month); the rest are scalars drawn through ``Dist.ppf``.

``lines.<L>.family`` is uncertain when the line's model is a mixture of families
(``LineFit.components``): a uniform per path picks the family through the cumulative weights,
the families ordered by their point forecast's volume over the simulated months (lowest
first), so a low quantile means a low family, as for every other input; its recorded value
is that uniform. Pinning it at ``u`` puts every path on the family at quantile ``u``.
A mixture's ``params`` are drawn per family (``lines.<L>.params.<family>`` streams, only for
the paths on that family); pinning ``params`` holds each path's parameters at ``u`` along its
own family's direction, and the family choice keeps its draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.scenario.types import Event, LaunchEvent, default_cancel, event_inputs
from forecast.simulate.plan import Plan

__all__ = [
    "MODEL_NOISE",
    "MODEL_PARAMS",
    "MODEL_WALK",
    "SUPPLY_CANCEL",
    "SUPPLY_CEILING",
    "Input",
    "event_input",
    "input_keys",
    "line_input",
    "plan_inputs",
]

MODEL_PARAMS, MODEL_NOISE, MODEL_WALK = "model.params", "model.noise", "model.error_walk"
SUPPLY_CEILING, SUPPLY_CANCEL = "supply.ceiling", "supply.cancel"


@dataclass(frozen=True, slots=True, kw_only=True)
class Input:
    """One input of a plan: its ``key``; whether it varies across paths (``uncertain``); and
    whether it is a vector, which has no single value to show when pinned (``vector``)."""

    key: str
    uncertain: bool
    vector: bool = False


def line_input(line: str, what: str) -> str:
    """``lines.<line>.<what>``: ``family``, ``params``, ``noise``, ``error_walk`` or
    ``multiplier``."""
    return f"lines.{line}.{what}"


def event_input(event: Event, name: str) -> str:
    """``events.<event name>.<name>``, ``name`` one of the event kind's ``INPUTS``."""
    return f"events.{event.name}.{name}"


def input_keys(plan: Plan) -> tuple[str, ...]:
    """Keys of the plan's uncertain inputs (what sensitivity holds, one at a time)."""
    return tuple(i.key for i in plan_inputs(plan) if i.uncertain)


def plan_inputs(plan: Plan) -> tuple[Input, ...]:
    """Every input of the plan, uncertain or not, in a fixed order: the model, the lines,
    the multipliers, each event's declared inputs, then the supply's."""
    lines = plan.lines
    noisy = plan.noise_scale > 0 and plan.n_sim > 0
    walking = plan.error_walk > 0 and plan.n_sim > 0
    found = [
        Input(key=MODEL_PARAMS, uncertain=_uncertain_params(plan), vector=True),
        Input(
            key=MODEL_NOISE,
            uncertain=noisy and any(c.sigma > 0 for f in lines for c in f.components),
            vector=True,
        ),
        Input(key=MODEL_WALK, uncertain=walking and bool(lines), vector=True),
    ]
    for fit in lines:
        uncertain = plan.parameter_uncertainty and any(np.any(c.cov) for c in fit.components)
        sigma = max(c.sigma for c in fit.components)
        found += [
            Input(key=line_input(fit.line, "family"), uncertain=len(fit.components) > 1),
            Input(key=line_input(fit.line, "params"), uncertain=uncertain, vector=True),
            Input(key=line_input(fit.line, "noise"), uncertain=noisy and sigma > 0, vector=True),
            Input(key=line_input(fit.line, "error_walk"), uncertain=walking, vector=True),
        ]
    for event in plan.events:
        if isinstance(event, LaunchEvent):
            uncertain = noisy and plan.launch_sigma > 0
            found.append(
                Input(key=line_input(event.line, "noise"), uncertain=uncertain, vector=True)
            )
    for name, dist in plan.multipliers.items():
        if name in plan.line_names:
            found.append(Input(key=line_input(name, "multiplier"), uncertain=not dist.is_fixed))
    for event in plan.events:
        found += [
            Input(key=event_input(event, name), uncertain=not dist.is_fixed)
            for name, dist in event_inputs(event)
        ]
    if plan.supply is not None and plan.n_sim:
        found.append(Input(key=SUPPLY_CEILING, uncertain=plan.supply.spread(plan.sim_months)))
    if plan.backlog and plan.n_sim:
        cancel = plan.cancel or default_cancel()
        found.append(Input(key=SUPPLY_CANCEL, uncertain=not cancel.is_fixed))
    return tuple(found)


def _uncertain_params(plan: Plan) -> bool:
    return plan.parameter_uncertainty and any(
        np.any(c.cov) for f in plan.lines for c in f.components
    )
