"""What each growth family alone would answer: the scenario re-run with one line's mixture
replaced by one of its families.

A line's model is a mixture of families (``forecast.fit.select``: stacking weights); each
path draws one. ``family_hit_rates`` runs the scenario once on the mixture and once per
(line, family with weight > 0) with that line on that family alone (``LineFit.alone``: the
component as fitted in the mixture, weight 1) and every other line as it is. All runs share
the seed, so they see the same draws of every input but the replaced line's family choice
(common random numbers): the differences are the families', not Monte Carlo noise.

The family alone is the mixture's own component, fitted with the mixture's seasonality; a
scenario that names the family (``--set lines.<L>.family=...``) refits with that family in
the first pass as well, whose seasonal adjustment may differ slightly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from forecast.engine import pipeline
from forecast.engine.fitted import Fitted
from forecast.load.bundle import DataBundle
from forecast.scenario.types import Scenario

__all__ = ["FamilyHits", "family_hit_rates"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FamilyHits:
    """P(hit) of ``scenario`` on the mixture and with each (line, family) alone."""

    scenario: Scenario
    n_paths: int
    seed: int
    mixture: float
    alone: Mapping[tuple[str, str], float]


def family_hit_rates(
    bundle: DataBundle, fitted: Fitted, scenario: Scenario, *, n_paths: int, seed: int
) -> FamilyHits:
    """Run ``scenario`` on ``fitted`` and on each of its lines' families alone (module notes)."""
    scenario = scenario.with_changes({"simulation.n_paths": n_paths, "simulation.seed": seed})

    def p_hit(model_fitted: Fitted) -> float:
        return pipeline.run(bundle, scenario, fitted=model_fitted).summary.p_hit

    alone: dict[tuple[str, str], float] = {}
    lines = fitted.model.lines
    for i, fit in enumerate(lines):
        if len(fit.components) < 2:
            continue
        for family in fit.families:
            swapped = (*lines[:i], fit.alone(family), *lines[i + 1 :])
            model = dataclasses.replace(fitted.model, lines=swapped)
            alone[(fit.line, family)] = p_hit(dataclasses.replace(fitted, model=model))
    return FamilyHits(
        scenario=scenario, n_paths=n_paths, seed=seed, mixture=p_hit(fitted), alone=alone
    )
