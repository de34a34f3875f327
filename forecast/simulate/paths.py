"""Vectorised Monte Carlo over a ``Plan``: paths of monthly deliveries for the target year.

Model of one path (all arrays are (n_paths, n_months); loops run only over months)
--------------------------------------------------------------------------------
For each fitted line ``L`` and simulated month ``m``::

    f_p         ~ LineFit.components by weight   (a mixture of families; one: always it)
    params_p    ~ f_p.draw_params                (the estimate if not parameter_uncertainty)
    log D[p,m]  = LineFit.log_level(params_p, m) + seasonality.log_factors(m) + e[p,m] + w[p,m]
    e[m]        = phi * e[m-1] + sqrt(1 - phi**2) * sigma * noise_scale * z[p,m]
    w[m]        = w[m-1] + error_walk * y[p,m],   w[as_of] = 0

A path follows one family of its line throughout (``f_p``, with that family's curve, sigma,
phi and last residual): the line's forecast is the stacking mixture of its families
(``forecast.fit.select``). The family is picked by a uniform on the line's own stream
(``lines.<L>.family``) through the cumulative weights, families ordered by their point
forecast's volume (lowest first). Each family's curve, noise recursion and walk are
computed only on the rows of the paths that drew it (an index per family), so a mixture
costs about what one family costs; its parameters are drawn on the stream
``lines.<L>.params.<family>``, in each block as many as the block has paths on that family
(a line with one family keeps ``lines.<L>.params``, one per path). The standard normals
``z`` and ``y`` below are the line's, whatever its family: one draw per path on
``lines.<L>.noise`` and ``lines.<L>.error_walk``.

``w`` is the model error the fit cannot see (a curve going wrong, a regime change): a random
walk on the log level with monthly sd ``Plan.error_walk``, calibrated by backtests on past
forecast errors (``forecast.fit.calibration``), so its sd after h months is ``error_walk * sqrt(h)``.
Each fitted line has its own walk; launched lines carry the scenario's own uncertainty instead.
``e`` starts from ``last_resid`` at ``LineFit.last_month``. Months between that and the
first simulated month (when ``as_of`` is before the target year) are not simulated one by one:
the AR(1) state entering the year is ``phi**k * e0 + s * sqrt(1 - phi**(2k)) * z0``, which has
exactly the law of ``k`` recursion steps. So ``e = start + z @ matrix.T`` with a fixed
(n_sim, n_sim + 1) matrix, one matrix product per line; ``w`` likewise, with phi = 1. Demand is ``exp(log D)`` times the
line's multiplier (so the point forecast is the median; the mean carries
``exp(sigma**2 / 2)``). Then, as pure functions from ``events.py``:

1. launches add lines: plateau level x ramp mass (linear over ``ramp_months``, else the
   fitted ``RampShape``) x seasonal factor x noise (the fitted lines' average sigma and phi,
   stationary from the year start);
2. shocks, dips and boosts multiply demand of their line (or of every line); being
   products, their order does not matter;
3. supply (``forecast.simulate.supply``): per line, its capacity events and gaps (a stop
   makes nothing whatever the demand; unmet demand waits in the line's backlog, of which
   the share ``supply.cancel`` is cancelled each month); then the lines are summed and the
   company ceiling (the fitted ``supply.ceiling``, the lowest with the total's capacity
   events, times whole-plant gaps) bounds the total, with the company's backlog (lines
   are then shared out in proportion, when line paths are kept). Ceilings combine by min
   and gaps by a product in event-name order: the file's event order changes nothing.

Months of the target year up to ``as_of`` are the reported totals on every path.

Random streams (common random numbers)
--------------------------------------
Paths are cut into fixed blocks of ``BLOCK`` paths. Every uncertain input has a *key*
(``forecast.simulate.inputs``) and its own stream per block::

    SeedSequence(seed, spawn_key=(block, key_id(key)))

with ``key_id`` a stable 64-bit hash of the key string. Hence results do not depend on how
many blocks are computed at once (``chunk_size``); scenarios that share a seed see the same
model and noise draws; adding, removing or reordering an event leaves every other input's
draws unchanged (keys use event *names*); and the first ``n`` paths of a run do not depend on
``n_paths``. Scalars are drawn as uniforms ``u`` and mapped by ``Dist.ppf(u)``; an event's
are the inputs its kind declares (``INPUTS``), each drawn under ``events.<name>.<input>``.

Pinning (``pinned={key: u}``) replaces one input's draws by its value at quantile ``u`` and
leaves all other draws as they were. For a scalar that is ``ppf(u)``. For the vector inputs
(params, noise, error walk) the pinned value is the conditional mean of the normal draw given that its
linearised effect on the line's year volume sits at its ``u`` quantile:
``mean + ndtri(u) * cov @ g / sqrt(g @ cov @ g)``, with ``g`` the gradient of the point
forecast's year volume. ``record_inputs`` returns per path the scalar values, and for vector
inputs the standard normal score ``g @ (x - mean) / sqrt(g @ cov @ g)`` along that direction.
For a mixture, pinning and recording work per family: a path's ``params``/``noise``/``walk``
are pinned or scored along its own family's ``g`` and ``cov``, and the combined
(``model.*``) scores divide by the root mean square over families (weighted) of the lines'
sds; pinning ``lines.<L>.family`` at ``u`` puts every path on the family at quantile ``u`` of
the cumulative weights, its recorded value is the uniform.

Many pinned runs on one seed (``simulate_pinned``, what sensitivity runs) are made from the
unpinned run: a chunk is simulated in stages (a line's families, curve, noise and walk, its
demand, multipliers and supply; a launch's ramp and seasonal noise; the total; the supply
events), each stage noting the input keys it read (``_Draws.stage``). The unpinned run keeps
every stage's result and every stream's draws (``_Memo``); a pinned run takes a kept result
whenever its pins miss that stage's keys and recomputes the rest, so it gives
``simulate_paths``' bits while drawing nothing and computing only what its pin reaches.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import TypeVar, cast

import numpy as np
from scipy.special import ndtri

from forecast.errors import ConfigError
from forecast.fit.types import LineFit
from forecast.scenario.types import (
    CapacityEvent,
    Dist,
    Event,
    GapEvent,
    LaunchEvent,
    MultiplierEvent,
    ShockEvent,
    default_cancel,
    event_inputs,
)
from forecast.simulate import events as ev
from forecast.simulate.inputs import (
    MODEL_NOISE,
    MODEL_PARAMS,
    MODEL_WALK,
    SUPPLY_CANCEL,
    SUPPLY_CEILING,
    event_input,
    input_keys,
    line_input,
    plan_inputs,
)
from forecast.simulate.plan import Plan
from forecast.simulate.supply import deliver

__all__ = [
    "BLOCK",
    "PinnedTotals",
    "SimResult",
    "input_keys",
    "iter_chunks",
    "simulate_paths",
    "simulate_pinned",
]

BLOCK = 2**16
"""Paths per seeding block. Changing it changes the numbers; ``chunk_size`` does not."""

Seed = int | np.random.SeedSequence


@dataclass(frozen=True, slots=True, kw_only=True)
class SimResult:
    """Simulated target year.

    Attributes
    ----------
    paths : ndarray, shape (n_paths, 12)
        Deliveries per month of ``months``; the first ``n_reported`` columns are the actuals.
    lines : Mapping[str, ndarray (n_paths, n_sim)] or None
        Per-line deliveries in the simulated months only (``plan.sim_months``).
    inputs : Mapping[str, ndarray (n_paths,)] or None
        Per-path values of every uncertain input, keyed as in ``input_keys``.
    ceiling : ndarray, shape (n_paths, n_sim), or None
        The company's production ceiling of each simulated month on each path (``inf``
        where none): the simulated months never exceed it.
    """

    paths: np.ndarray
    months: np.ndarray
    n_reported: int
    lines: Mapping[str, np.ndarray] | None = None
    inputs: Mapping[str, np.ndarray] | None = None
    ceiling: np.ndarray | None = None

    @property
    def totals(self) -> np.ndarray:
        """Annual totals, shape (n_paths,)."""
        return self.paths.sum(axis=1)


# ---------------------------------------------------------------- public entry points


def simulate_paths(
    plan: Plan,
    *,
    seed: Seed,
    n_paths: int,
    chunk_size: int | None = None,
    pinned: Mapping[str, float] | None = None,
    record_inputs: bool = False,
    record_lines: bool = False,
    record_ceiling: bool = False,
) -> SimResult:
    """Simulate ``n_paths`` paths of the target year.

    Parameters
    ----------
    plan : Plan
    seed : int or SeedSequence
        The run's seed; every block and input stream is derived from it.
    n_paths : int
    chunk_size : int, optional
        Paths computed at once, a multiple of ``BLOCK`` (default ``BLOCK``). Bounds the
        working memory; never changes the result.
    pinned : Mapping[str, float], optional
        Input key -> quantile in (0, 1) at which that input is held on every path.
    record_inputs : bool
        Return each uncertain input's per-path value in ``inputs``.
    record_lines : bool
        Return per-line simulated months in ``lines``.
    record_ceiling : bool
        Return the company's production ceiling of each simulated month in ``ceiling``.

    Returns
    -------
    SimResult
        ``paths`` of shape (n_paths, 12).
    """
    paths = np.empty((n_paths, plan.months.size))
    lines: dict[str, np.ndarray] = {}
    inputs: dict[str, np.ndarray] = {}
    ceiling = np.full((n_paths, plan.n_sim), np.inf) if record_ceiling else None
    chunks = _chunks(plan, seed, n_paths, chunk_size, pinned, record_inputs, record_lines)
    for rows, chunk in chunks:
        paths[rows] = chunk.paths
        _store(lines, chunk.lines if record_lines else {}, rows, n_paths)
        _store(inputs, chunk.inputs, rows, n_paths)
        if ceiling is not None:
            ceiling[rows] = chunk.ceiling
    return SimResult(
        paths=paths,
        months=plan.months,
        n_reported=plan.n_reported,
        lines=MappingProxyType(lines) if record_lines else None,
        inputs=MappingProxyType(inputs) if record_inputs else None,
        ceiling=ceiling,
    )


def iter_chunks(
    plan: Plan,
    *,
    seed: Seed,
    n_paths: int,
    chunk_size: int | None = None,
    pinned: Mapping[str, float] | None = None,
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, paths[rows])`` chunk by chunk, for reducers that keep memory flat.

    The chunks concatenate to ``simulate_paths(...).paths`` with the same arguments.
    """
    for rows, chunk in _chunks(plan, seed, n_paths, chunk_size, pinned, False):
        yield rows, chunk.paths


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedTotals:
    """Annual totals of a run with nothing pinned and of runs with inputs pinned.

    Attributes
    ----------
    totals : ndarray, shape (n_paths,)
        With nothing pinned: ``simulate_paths(plan, ...).totals``.
    inputs : Mapping[str, ndarray (n_paths,)] or None
        That run's recorded inputs (``record_inputs``).
    pinned : tuple of ndarray (n_paths,)
        One per entry of ``pins``: ``simulate_paths(plan, ..., pinned=pins[i]).totals``.
    held : tuple of Mapping[str, float]
        One per entry of ``pins``: the value each pinned scalar input was held at, as
        ``record_inputs`` shows it on every path (vector inputs have no entry).
    """

    totals: np.ndarray
    inputs: Mapping[str, np.ndarray] | None
    pinned: tuple[np.ndarray, ...]
    held: tuple[Mapping[str, float], ...] = ()


def simulate_pinned(
    plan: Plan,
    *,
    seed: Seed,
    n_paths: int,
    pins: Sequence[Mapping[str, float]],
    chunk_size: int | None = None,
    record_inputs: bool = False,
    on_run: Callable[[int], None] | None = None,
) -> PinnedTotals:
    """The annual totals of the run with nothing pinned and of one run per entry of
    ``pins``, bit for bit those of ``simulate_paths`` with the same arguments, in a
    fraction of the time (what ``sensitivity`` runs).

    Chunk by chunk, the run with nothing pinned keeps every stream's draws and each
    stage's result with the inputs it depends on (``_Memo``); each pinned run then draws
    nothing and recomputes only the stages that depend on a pinned input: pinning a
    plant's ceiling redoes the company's supply, not the lines' demand. Memory is one
    chunk's stages plus every run's annual totals, ``(1 + len(pins)) x n_paths`` floats
    (``sensitivity`` bounds it by splitting its pins into groups).

    ``on_run(done)`` is called as each run is done with the number of pinned runs done:
    0 for the unpinned run, then 1, 2, ... ``len(pins)``.
    """
    layout = _layout(n_paths, chunk_size)
    checked = [_check_pinned(plan, pinned) for pinned in pins]
    prep = _prepare(plan)
    root = _root(seed)
    totals = np.empty(n_paths)
    inputs: dict[str, np.ndarray] = {}
    pinned_totals = tuple(np.empty(n_paths) for _ in checked)
    held: list[dict[str, float]] = [{} for _ in checked]
    for i, (rows, blocks) in enumerate(layout):
        memo = _Memo()
        draws = _Draws(root=root, blocks=blocks, pinned={}, record=record_inputs, memo=memo)
        chunk = _simulate_chunk(plan, prep, draws)
        totals[rows] = chunk.paths.sum(axis=1)
        _store(inputs, chunk.inputs, rows, n_paths)
        last = i == len(layout) - 1
        if last and on_run is not None:
            on_run(0)
        for done, (pinned, out, values) in enumerate(zip(checked, pinned_totals, held), 1):
            draws = _Draws(root=root, blocks=blocks, pinned=pinned, record=False, memo=memo)
            out[rows] = _simulate_chunk(plan, prep, draws).paths.sum(axis=1)
            if i == 0:  # held in the first chunk, the same in every other
                values.update(draws.held)
            if last and on_run is not None:
                on_run(done)
    if not layout and on_run is not None:
        for done in range(1 + len(checked)):
            on_run(done)
    return PinnedTotals(
        totals=totals,
        inputs=MappingProxyType(inputs) if record_inputs else None,
        pinned=pinned_totals,
        held=tuple(MappingProxyType(values) for values in held),
    )


# ---------------------------------------------------------------- chunking and streams


@dataclass(frozen=True, slots=True, kw_only=True)
class _Chunk:
    paths: np.ndarray
    lines: dict[str, np.ndarray]
    inputs: dict[str, np.ndarray]
    ceiling: np.ndarray | float = np.inf  # (n, n_sim): the company's production ceiling


def _chunks(
    plan: Plan,
    seed: Seed,
    n_paths: int,
    chunk_size: int | None,
    pinned: Mapping[str, float] | None,
    record: bool,
    keep_lines: bool = False,
) -> Iterator[tuple[slice, _Chunk]]:
    layout = _layout(n_paths, chunk_size)
    pins = _check_pinned(plan, pinned or {})
    prep = _prepare(plan)
    root = _root(seed)
    for rows, blocks in layout:
        draws = _Draws(root=root, blocks=blocks, pinned=pins, record=record, keep_lines=keep_lines)
        yield rows, _simulate_chunk(plan, prep, draws)


def _layout(n_paths: int, chunk_size: int | None) -> list[tuple[slice, list[tuple[int, int]]]]:
    """The chunks' rows and, for each, its seeding blocks ``(block, paths in it)``."""
    chunk_size = BLOCK if chunk_size is None else chunk_size
    if chunk_size <= 0 or chunk_size % BLOCK:
        raise ValueError(f"chunk_size must be a positive multiple of {BLOCK}, got {chunk_size}")
    if n_paths < 0:
        raise ValueError(f"n_paths must be >= 0, got {n_paths}")
    layout = []
    for first in range(0, n_paths, chunk_size):
        rows = slice(first, min(first + chunk_size, n_paths))
        blocks = [
            (b, min(BLOCK, n_paths - b * BLOCK))
            for b in range(first // BLOCK, (rows.stop - 1) // BLOCK + 1)
        ]
        layout.append((rows, blocks))
    return layout


def _root(seed: Seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int or a SeedSequence, got {seed!r}")
    return np.random.SeedSequence(int(seed))


def _key_id(key: str) -> int:
    """A stable 64-bit id for an input key (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


class _Pins(Mapping[str, float]):
    """The pinned quantiles; notes every key looked up in ``reads`` (``_Draws.stage``)."""

    def __init__(self, values: Mapping[str, float], reads: set[str]) -> None:
        self.quantiles, self.reads = values, reads

    def __getitem__(self, key: str) -> float:
        self.reads.add(key)
        return self.quantiles[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.reads.add(key)
        return key in self.quantiles

    def get(self, key: str, default=None):  # type: ignore[override]
        self.reads.add(key)
        return self.quantiles.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.quantiles)

    def __len__(self) -> int:
        return len(self.quantiles)


class _Memo:
    """One chunk's results with nothing pinned, reused by runs of that chunk with an input
    pinned (``simulate_pinned``).

    ``stages`` keeps each stage's result (``_Draws.stage``; names ``kind:line`` or
    ``kind:event``) with the input keys it read, directly or through the stages it was made
    from: a run whose pins miss all of them would compute the same bits, so it takes the
    kept result. ``streams`` keeps every stream's draws and ``values`` every scalar's values,
    which no pin of another input changes: a stage that must be recomputed draws nothing
    again. Kept arrays are read-only, so no run can alter them.
    """

    def __init__(self) -> None:
        self.stages: dict[str, tuple[frozenset[str], object]] = {}
        self.streams: dict[tuple[str, tuple[int, ...] | None], np.ndarray] = {}
        self.values: dict[str, np.ndarray] = {}  # an uncertain scalar's, by key


class _Draws:
    """The random inputs of one chunk: one stream per (block, key); collects recorded values.

    With a ``memo`` (``_Memo``), the run with nothing pinned fills it and a run with pins
    reuses what its pins cannot change.
    """

    def __init__(
        self,
        *,
        root: np.random.SeedSequence,
        blocks: list[tuple[int, int]],
        pinned: Mapping[str, float],
        record: bool,
        keep_lines: bool = False,
        memo: _Memo | None = None,
    ) -> None:
        self.keep_lines = keep_lines
        self.root = root
        self.blocks = blocks
        self.n = sum(size for _, size in blocks)
        self.reads: set[str] = set()
        self.pinned = _Pins(pinned, self.reads)
        self.record = record
        self.inputs: dict[str, np.ndarray] = {}
        self.held: dict[str, float] = {}  # with a memo: what the pinned inputs were held at
        self.memo = memo
        self.filling = memo is not None and not pinned  # the run the memo is made from
        if memo is not None and pinned and record:
            raise ValueError("a run with pins reuses results that record nothing")

    def stage(self, name: str, compute: Callable[[], T], *uses: frozenset[str]) -> Stage[T]:
        """``compute()``'s result and the input keys it depends on: those it read, and
        ``uses`` (the keys of the stages it was made from). Taken from the memo when none of
        them is pinned; kept there in the run that fills it."""
        memo = self.memo
        if memo is not None and not self.filling and name in memo.stages:
            keys, value = memo.stages[name]
            if keys.isdisjoint(self.pinned.quantiles):
                return cast(T, value), keys
        outer = set(self.reads)  # an enclosing stage's reads, kept (stages may nest)
        self.reads.clear()
        value = compute()
        keys = frozenset(self.reads).union(*uses)
        self.reads |= outer | keys
        if memo is not None and self.filling:
            memo.stages[name] = (keys, _read_only(value))
        return value, keys

    def each_block(
        self,
        key: str,
        draw: Callable[[np.random.Generator, int], np.ndarray],
        sizes: np.ndarray | None = None,
    ):
        """``draw(rng, n_block)`` for each block from the key's stream, concatenated on axis 0;
        ``sizes`` (one per block): draw that many instead (a subset of the block's paths).
        A stream key has one ``draw`` throughout, so its draws can be kept (``_Memo``)."""
        self.reads.add(key)
        memo_key = (key, None if sizes is None else tuple(int(s) for s in sizes))
        if self.memo is not None and memo_key in self.memo.streams:
            return self.memo.streams[memo_key]
        parts = []
        for i, (block, size) in enumerate(self.blocks):
            spawn_key = (*self.root.spawn_key, block, _key_id(key))
            seq = np.random.SeedSequence(self.root.entropy, spawn_key=spawn_key)
            parts.append(draw(np.random.default_rng(seq), size if sizes is None else int(sizes[i])))
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if self.memo is not None and self.filling:
            self.memo.streams[memo_key] = _read_only(values)
        return values

    def uniform(self, key: str) -> np.ndarray:
        """Uniforms (n,) for ``key``, or its pinned quantile repeated."""
        if key in self.pinned:
            return np.full(self.n, self.pinned[key])
        return self.each_block(key, lambda rng, size: rng.random(size))

    def scalar(self, key: str, dist: Dist) -> np.ndarray:
        """Values (n,) of an uncertain scalar: ``dist.ppf`` of its uniforms."""
        if dist.is_fixed and key not in self.pinned:
            return np.full(self.n, float(dist.mean))
        if key not in self.pinned and self.memo is not None and key in self.memo.values:
            values = self.memo.values[key]
        else:
            values = np.asarray(dist.ppf(self.uniform(key)), dtype=float)
            if self.memo is not None and self.filling:
                self.memo.values[key] = _read_only(values)
        self.keep(key, values, not dist.is_fixed)
        return values

    def keep(self, key: str, values: np.ndarray, uncertain: bool = True) -> None:
        if self.record and uncertain:
            self.inputs[key] = np.broadcast_to(values, (self.n,)).astype(float)
        elif self.memo is not None and key in self.pinned.quantiles and self.n:
            self.held[key] = float(np.broadcast_to(values, (self.n,)).astype(float)[0])


T = TypeVar("T")
Stage = tuple[T, frozenset[str]]
"""A stage's result and the input keys it depends on (``_Draws.stage``)."""


def _read_only(value: T) -> T:
    """``value`` with its arrays (also inside tuples, lists and dicts) made read-only."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple | list):
        for item in value:
            _read_only(item)
    elif isinstance(value, dict):
        for item in value.values():
            _read_only(item)
    return value


# ---------------------------------------------------------------- deterministic preparation


@dataclass(frozen=True, slots=True, kw_only=True)
class _Noise:
    """AR(1) noise over the sim months driven by standard normals z of shape (n, n_sim + 1);
    with phi = 1 and no start, the model-error walk.

    Column 0 bridges the unsimulated months: the state entering the window is
    ``state + bridge * z[:, 0]``; then ``e[j] = phi * e[j-1] + innovation * z[:, j + 1]``.
    Equivalently ``e = start + z @ matrix.T`` (used for the weights only: a BLAS product
    could round differently for different chunk sizes, the recursion cannot).
    """

    phi: float
    state: float
    bridge: float
    innovation: float
    start: np.ndarray  # (n_sim,) the mean of e
    matrix: np.ndarray  # (n_sim, n_sim + 1)
    weight: np.ndarray  # (n_sim + 1,) effect of z on the point year volume

    def add_to(self, log_d: np.ndarray, z: np.ndarray) -> None:
        """Add the noise driven by z (n, n_sim + 1) to log_d (n, n_sim): ``states(z)``."""
        log_d += self.states(z)

    def states(self, z: np.ndarray) -> np.ndarray:
        """The noise e (n, n_sim) driven by z (n, n_sim + 1), row by row; loops over months.

        Runs over blocks of ``_NOISE_ROWS`` rows so that the month columns stay in the CPU
        cache, with one buffer for the innovations; the operations per row are unchanged.
        """
        n, n_sim = z.shape[0], z.shape[1] - 1
        out = np.empty((n, n_sim))
        step = np.empty(min(n, _NOISE_ROWS))
        for first in range(0, n, _NOISE_ROWS):
            rows = slice(first, min(first + _NOISE_ROWS, n))
            zb, block = z[rows], out[rows]
            shock = step[: zb.shape[0]]
            e = np.multiply(zb[:, 0], self.bridge)
            e += self.state
            for j in range(n_sim):
                e *= self.phi
                e += np.multiply(zb[:, j + 1], self.innovation, out=shock)
                block[:, j] = e
        return out


_NOISE_ROWS = 2048  # rows of z (n, 13) per pass of the AR(1) loop: 213 kB, inside L2


@dataclass(frozen=True, slots=True, kw_only=True)
class _LinePrep:
    """One family of a line's model."""

    fit: LineFit
    noise: _Noise
    walk: _Noise  # the calibrated model error (phi = 1)
    gradient: np.ndarray  # (k,) of the point year volume in the params
    param_sd: float  # sd of gradient @ params
    volume: float  # the point forecast's volume over the simulated months


@dataclass(frozen=True, slots=True, kw_only=True)
class _LineMix:
    """A fitted line: its families, from the lowest point volume up, and their weights."""

    line: str
    parts: tuple[_LinePrep, ...]
    cumulative: np.ndarray  # (n_parts,) cumulative weights in ``parts`` order, the last 1
    param_sd: float  # root mean square over the families (weighted) of param_sd
    noise_sd: float  # ... of the noise's effect on the year volume
    walk_sd: float  # ... of the walk's


@dataclass(frozen=True, slots=True, kw_only=True)
class _Prepared:
    lines: tuple[_LineMix, ...]
    launch_noise: Mapping[str, _Noise]
    params_sd: float  # of the sum over lines
    noise_sd: float
    walk_sd: float


def _prepare(plan: Plan) -> _Prepared:
    lines = tuple(_prepare_mix(plan, fit) for fit in plan.lines)
    launch_noise = {
        e.name: _launch_noise(plan, float(e.level.mean))
        for e in plan.events
        if isinstance(e, LaunchEvent)
    }
    launch_sd2 = sum(float(nz.weight @ nz.weight) for nz in launch_noise.values())
    return _Prepared(
        lines=lines,
        launch_noise=launch_noise,
        params_sd=float(np.sqrt(sum(mix.param_sd**2 for mix in lines))),
        noise_sd=float(np.sqrt(sum(mix.noise_sd**2 for mix in lines) + launch_sd2)),
        walk_sd=float(np.sqrt(sum(mix.walk_sd**2 for mix in lines))),
    )


def _prepare_mix(plan: Plan, fit: LineFit) -> _LineMix:
    """The line's families ordered by point volume (ties: fit order), so that the family's
    uniform is monotone in the volume, as every other input's is."""
    prepared = [(_prepare_line(plan, c), c.weight) for c in fit.components]
    order = sorted(range(len(prepared)), key=lambda i: (prepared[i][0].volume, i))
    parts = tuple(prepared[i][0] for i in order)
    weights = np.array([prepared[i][1] for i in order])
    weights /= weights.sum()

    def rms(values) -> float:
        return float(np.sqrt(sum(w * v**2 for w, v in zip(weights, values))))

    return _LineMix(
        line=fit.line,
        parts=parts,
        cumulative=np.cumsum(weights),
        param_sd=rms(p.param_sd for p in parts),
        noise_sd=rms(_norm(p.noise) for p in parts),
        walk_sd=rms(_norm(p.walk) for p in parts),
    )


def _norm(noise: _Noise) -> float:
    return float(np.sqrt(noise.weight @ noise.weight))


def _prepare_line(plan: Plan, fit: LineFit) -> _LinePrep:
    gap = int(plan.sim_months[0]) - fit.last_month - 1 if plan.n_sim else 0
    noise = _ar1_noise(fit.sigma * plan.noise_scale, fit.phi, gap, fit.last_resid, plan.n_sim)
    log_point = fit.log_level(fit.params[None, :], plan.sim_months)[0] + plan.log_season
    point = np.exp(log_point + noise.start)
    noise = dataclasses.replace(noise, weight=noise.matrix.T @ point)
    walk = _walk(plan)
    walk = dataclasses.replace(walk, weight=walk.matrix.T @ point)
    gradient = _volume_gradient(plan, fit, point)
    uncertain = plan.parameter_uncertainty and bool(np.any(fit.cov))
    param_sd = float(np.sqrt(max(gradient @ fit.cov @ gradient, 0.0))) if uncertain else 0.0
    return _LinePrep(
        fit=fit,
        noise=noise,
        walk=walk,
        gradient=gradient,
        param_sd=param_sd,
        volume=float(point.sum()),
    )


def _walk(plan: Plan) -> _Noise:
    """The model-error walk: 0 at ``as_of``, sd ``error_walk * sqrt(h)`` h months later."""
    n_sim, tau = plan.n_sim, plan.error_walk
    first = int(plan.sim_months[0] - plan.as_of) if n_sim else 1  # horizon of the first month
    bridge = tau * np.sqrt(first - 1.0)  # the months before the first simulated one, at once
    matrix = np.zeros((n_sim, n_sim + 1))
    matrix[:, 0] = bridge
    matrix[:, 1:] = tau * np.tri(n_sim)
    return _Noise(
        phi=1.0,
        state=0.0,
        bridge=bridge,
        innovation=tau,
        start=np.zeros(n_sim),
        matrix=matrix,
        weight=np.zeros(n_sim + 1),
    )


def _ar1_noise(scale: float, phi: float, gap: int, e0: float, n_sim: int) -> _Noise:
    """AR(1) with marginal sd ``scale`` from ``e0``, ``gap`` unsimulated steps before month 1."""
    j = np.arange(1, n_sim + 1)
    bridge = scale * np.sqrt(1.0 - phi ** (2 * gap))
    innovation = scale * np.sqrt(1.0 - phi**2)
    matrix = np.zeros((n_sim, n_sim + 1))
    matrix[:, 0] = phi**j * bridge
    lags = j[:, None] - j[None, :]  # month i's innovation in month j, lag j - i
    matrix[:, 1:] = innovation * np.where(lags >= 0, phi ** np.maximum(lags, 0), 0.0)
    return _Noise(
        phi=phi,
        state=phi**gap * e0,
        bridge=bridge,
        innovation=innovation,
        start=phi ** (gap + j) * e0,
        matrix=matrix,
        weight=np.zeros(n_sim + 1),
    )


_STATIONARY = 10**6  # bridge steps after which the AR(1) state has its marginal sd


def _launch_noise(plan: Plan, level: float) -> _Noise:
    scale = plan.launch_sigma * plan.noise_scale
    # Stationary from the year start: an infinite bridge gives the state its marginal sd.
    noise = _ar1_noise(scale, plan.launch_phi, _STATIONARY, 0.0, plan.n_sim)
    return dataclasses.replace(noise, weight=noise.matrix.T @ np.full(plan.n_sim, level))


def _volume_gradient(plan: Plan, fit: LineFit, point: np.ndarray) -> np.ndarray:
    """Gradient of the point year volume in the params, by central differences."""
    k = fit.params.size
    h = 1e-5 * np.maximum(1.0, np.abs(fit.params))
    steps = np.concatenate([fit.params + np.diag(h), fit.params - np.diag(h)])  # (2k, k)
    log_level = fit.log_level(steps, plan.sim_months)  # (2k, n_sim)
    slope = (log_level[:k] - log_level[k:]) / (2 * h[:, None])
    return slope @ point


# ---------------------------------------------------------------- one chunk


def _simulate_chunk(plan: Plan, prep: _Prepared, draws: _Draws) -> _Chunk:
    """One chunk, in stages (``_Draws.stage``): each line's demand, its multipliers and
    its supply, their total, then the company's supply. A stage never alters the arrays
    it is given, so that a memo (``_Memo``) can hand the same ones to every run."""
    n = draws.n
    if plan.n_sim == 0:
        paths = np.broadcast_to(plan.reported, (n, plan.months.size)).copy()
        return _Chunk(paths=paths, lines={}, inputs=draws.inputs)
    scores = (
        _Score(draws, MODEL_PARAMS, prep.params_sd),
        _Score(draws, MODEL_NOISE, prep.noise_sd),
        _Score(draws, MODEL_WALK, prep.walk_sd),
    )
    lines: dict[str, Stage[np.ndarray]] = {}
    for mix in prep.lines:
        lines[mix.line] = _line_demand(plan, prep, draws, scores, mix)
    for event in plan.events:
        if isinstance(event, LaunchEvent):
            lines[event.line] = _launch(plan, prep, draws, scores[1], event)
    for score in scores:
        score.finish()
    lines = _apply_multipliers(plan, draws, lines)
    cancel, cancel_keys = draws.stage("cancel", partial(_cancel, plan, draws))
    for name, (demand, keys) in lines.items():
        events = draws.stage(f"supply-events:{name}", partial(_supply_events, plan, draws, name))
        compute = partial(_line_supply, demand, cancel, events[0])
        lines[name] = draws.stage(f"supply:{name}", compute, keys, cancel_keys, events[1])
    parts = [line for line, _ in lines.values()]
    total = draws.stage(
        "total", partial(_sum, parts, (n, plan.n_sim)), *(k for _, k in lines.values())
    )[0]
    delivered = {name: line[0] for name, line in lines.items()}
    plant = draws.stage("plant-events", partial(_company_events, plan, draws))[0]
    total, ceiling = _company_supply(draws, delivered, total, cancel, plant)
    paths = np.empty((n, plan.months.size))
    paths[:, : plan.n_reported] = plan.reported
    paths[:, plan.n_reported :] = total
    return _Chunk(paths=paths, lines=delivered, inputs=draws.inputs, ceiling=ceiling)


def _sum(parts: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """``0 + parts[0] + parts[1] + ...``, in that order."""
    return sum(parts, np.zeros(shape))


Rows = slice | np.ndarray
"""The paths of a chunk one family of a line is simulated on: all (``ALL``) or their indices."""
ALL = slice(None)


def _line_demand(
    plan: Plan,
    prep: _Prepared,
    draws: _Draws,
    scores: tuple[_Score, _Score, _Score],
    mix: _LineMix,
) -> Stage[np.ndarray]:
    """A fitted line's demand (n, n_sim); a path of a mixture follows its own family.

    In stages: the paths of each family, then for each family its log level (the drawn
    parameters' curve plus seasonality), its noise and its walk, then ``exp`` of their
    sum; so that pinning the noise, say, recomputes neither curves nor walks."""
    model_params, model_noise, model_walk = scores
    line = mix.line
    groups, group_keys = draws.stage(f"families:{line}", partial(_family_rows, mix, draws))

    def level() -> list[np.ndarray | None]:
        params = _line_params(mix, groups, draws, prep.params_sd, model_params)
        out = []
        for lp, drawn in zip(mix.parts, params, strict=True):
            log_d = None if drawn is None else lp.fit.log_level(drawn, plan.sim_months)
            if log_d is not None:
                log_d += plan.log_season
            out.append(log_d)
        return out

    def noise(what: str, noises: list[_Noise], sd: float, score: _Score) -> list[np.ndarray]:
        key = line_input(line, what)
        z = _line_noise(key, noises, groups, draws, sd, score)
        return [nz.states(zc) for nz, zc in zip(noises, z, strict=True)]

    levels, keys = draws.stage(f"level:{line}", level, group_keys)
    parts = [keys]
    noises = [p.noise for p in mix.parts]
    compute = partial(noise, "noise", noises, prep.noise_sd, model_noise)
    e, e_keys = draws.stage(f"noise:{line}", compute, group_keys)
    parts.append(e_keys)
    if plan.error_walk > 0:
        walks = [p.walk for p in mix.parts]
        compute = partial(noise, "error_walk", walks, prep.walk_sd, model_walk)
        w, w_keys = draws.stage(f"walk:{line}", compute, group_keys)
        parts.append(w_keys)

    def demand() -> np.ndarray:
        out = None if len(groups) == 1 else np.empty((draws.n, plan.n_sim))
        for c, rows in enumerate(groups):
            log_level = levels[c]
            if log_level is None:
                continue
            log_d = log_level + e[c]
            if plan.error_walk > 0:
                log_d += w[c]
            if out is None:
                out = np.exp(log_d, out=log_d)
            else:
                out[rows] = np.exp(log_d, out=log_d)
        assert out is not None
        return out

    return draws.stage(f"demand:{line}", demand, *parts)


def _family_rows(mix: _LineMix, draws: _Draws) -> list[Rows]:
    """The rows of each family of the line (``parts`` order): a uniform per path on the
    line's ``family`` stream, mapped through the cumulative weights."""
    if len(mix.parts) == 1:
        return [ALL]
    key = line_input(mix.line, "family")
    u = draws.uniform(key)
    draws.keep(key, u)
    index = np.minimum(np.searchsorted(mix.cumulative, u, side="right"), len(mix.parts) - 1)
    return [np.flatnonzero(index == c) for c in range(len(mix.parts))]


def _count(rows: Rows, n: int) -> int:
    return n if isinstance(rows, slice) else rows.size


def _block_counts(rows: np.ndarray, draws: _Draws) -> np.ndarray:
    """How many of ``rows`` fall in each of the chunk's blocks."""
    bounds = np.cumsum([0] + [size for _, size in draws.blocks])
    return np.diff(np.searchsorted(rows, bounds))


class _Score:
    """Per-path standard normal score of a combined vector input (``model.params``,
    ``model.noise``, ``model.error_walk``)."""

    def __init__(self, draws: _Draws, key: str, sd: float) -> None:
        self.draws, self.key, self.sd = draws, key, sd
        self.total = np.zeros(draws.n)

    def add(self, effect: np.ndarray, rows: Rows = ALL) -> None:
        self.total[rows] += effect

    def finish(self) -> None:
        if self.sd > 0 and self.draws.record:
            self.draws.keep(self.key, self.total / self.sd)


def _line_params(
    mix: _LineMix, groups: list[Rows], draws: _Draws, total_sd: float, score: _Score
) -> list[np.ndarray | None]:
    """Each family's parameter sets for its rows (None: no rows). A mixture draws family
    ``f`` on the stream ``lines.<L>.params.<f>``, as many per block as the block has paths
    of that family; a single family on ``lines.<L>.params``, one per path."""
    key, n = line_input(mix.line, "params"), draws.n
    pinned = draws.pinned.get(key, draws.pinned.get(score.key))
    recorded = np.zeros(n) if draws.record else None
    out: list[np.ndarray | None] = []
    for lp, rows in zip(mix.parts, groups):
        fit, count = lp.fit, _count(rows, n)
        if count == 0:
            out.append(None)
            continue
        if lp.param_sd == 0:
            out.append(np.broadcast_to(fit.params, (count, fit.params.size)))
            continue
        if pinned is not None:
            sd = lp.param_sd if key in draws.pinned else total_sd
            shift = ndtri(pinned) * (fit.cov @ lp.gradient) / sd
            params = np.broadcast_to(fit.params + shift, (count, fit.params.size))
        elif isinstance(rows, slice):
            params = draws.each_block(key, fit.draw_params)
        else:
            stream, sizes = f"{key}.{fit.family}", _block_counts(rows, draws)
            params = draws.each_block(stream, fit.draw_params, sizes)
        out.append(params)
        if recorded is not None:
            effect = _dot(params - fit.params, lp.gradient)
            recorded[rows] = effect / lp.param_sd
            score.add(effect, rows)
    if recorded is not None and mix.param_sd > 0:
        draws.keep(key, recorded)
    return out


def _line_noise(
    key: str,
    noises: list[_Noise],
    groups: list[Rows],
    draws: _Draws,
    total_sd: float,
    score: _Score,
) -> list[np.ndarray]:
    """Standard normals (count, n_sim + 1) driving one line's noise or walk in each family's
    rows, or their pinned value. The normals are the line's, whatever its family: one
    stream, one draw per path; a family only sets how they move the level."""
    norms = [_norm(noise) for noise in noises]
    width = noises[0].weight.size
    if not any(norms):
        return [np.zeros((1, width)) for _ in noises]
    pinned = draws.pinned.get(key, draws.pinned.get(score.key))
    if pinned is None:
        z_all = draws.each_block(key, lambda rng, size: rng.standard_normal((size, width)))
    recorded = np.zeros(draws.n) if draws.record else None
    out = []
    for noise, norm, rows in zip(noises, norms, groups):
        if pinned is not None:
            sd = norm if key in draws.pinned else total_sd
            z = ndtri(pinned) * noise.weight[None, :] / (sd if sd > 0 else 1.0)
            z = np.broadcast_to(z, (_count(rows, draws.n), width))
        else:
            z = z_all[rows]
        out.append(z)
        if recorded is not None and norm > 0:
            effect = _dot(z, noise.weight)
            recorded[rows] = effect / norm
            score.add(effect, rows)
    if recorded is not None:
        draws.keep(key, recorded)
    return out


# ---------------------------------------------------------------- events


def _draw_event(
    draws: _Draws, event: Event, *, only: str | None = None, exclude: str | None = None
) -> dict[str, np.ndarray]:
    """Per-path values (n,) of the inputs the event's kind declares, each on its own stream:
    all of them, only the input ``only``, or all but ``exclude``."""
    return {
        name: draws.scalar(event_input(event, name), d)
        for name, d in event_inputs(event)
        if name != exclude and only in (None, name)
    }


def _launch(
    plan: Plan, prep: _Prepared, draws: _Draws, noise_score: _Score, event: LaunchEvent
) -> Stage[np.ndarray]:
    """A launched line's demand (n, n_sim): level x ramp mass x seasonal noise, each part
    a stage of its own (a pinned level recomputes no ramp)."""

    def mass() -> np.ndarray:
        values = _draw_event(draws, event, exclude="level")
        start = values["start"]
        return _ramp_mass(plan, start, values, "ramp_months", 1.0, event.start.is_fixed)

    def seasonal() -> np.ndarray:
        noise = prep.launch_noise[event.name]
        key = line_input(event.line, "noise")
        z = _line_noise(key, [noise], [ALL], draws, prep.noise_sd, noise_score)[0]
        log_f = np.broadcast_to(plan.log_season, (draws.n, plan.n_sim)).copy()
        noise.add_to(log_f, z)
        return np.exp(log_f)

    ramp, ramp_keys = draws.stage(f"ramp:{event.name}", mass)
    factor, factor_keys = draws.stage(f"seasonal:{event.name}", seasonal)

    def volume() -> np.ndarray:
        level = _draw_event(draws, event, only="level")["level"]
        return ev.launch_volume(level, ramp) * factor

    return draws.stage(f"launch:{event.name}", volume, ramp_keys, factor_keys)


def _ramp_mass(
    plan: Plan,
    start: np.ndarray,
    values: Mapping[str, np.ndarray],
    length: str,
    unit: float,
    start_fixed: bool,
) -> np.ndarray:
    """Ramp mass (n, n_sim) from ``start``: linear over ``values[length]`` (in ``unit``
    months) when the event gives a length, else the fitted ramp at speed ``values["ramp"]``."""
    if length in values:
        return ev.linear_ramp_mass(start, values[length] / unit, plan.month_pos)
    # Decided by the inputs, not by the values in this chunk, so chunking cannot change it.
    interpolate = not start_fixed
    return ev.shaped_ramp_mass(
        start, plan.month_pos, plan.ramp, values["ramp"], interpolate=interpolate
    )


def _apply_multipliers(
    plan: Plan, draws: _Draws, lines: Mapping[str, Stage[np.ndarray]]
) -> dict[str, Stage[np.ndarray]]:
    """Line multipliers, shocks, dips and boosts: products on the demand of lines, each
    line's multiplier first, then the events in the plan's order."""
    factors: list[tuple[Event, Stage[np.ndarray]]] = []
    for event in plan.events:
        if isinstance(event, MultiplierEvent | ShockEvent):
            compute = partial(_event_factor, plan, draws, event)
            factors.append((event, draws.stage(f"factor:{event.name}", compute)))
    for event, _ in factors:
        if event.line is not None and event.line not in lines:
            raise KeyError(event.line)
    out = {}
    for name, (demand, keys) in lines.items():
        mine = [factor for event, factor in factors if event.line in (None, name)]
        compute = partial(_multiplied, plan, draws, name, demand, [f for f, _ in mine])
        uses = [keys, *(k for _, k in mine)]
        out[name] = draws.stage(f"multiplied:{name}", compute, *uses)
    return out


def _multiplied(
    plan: Plan, draws: _Draws, name: str, demand: np.ndarray, factors: list[np.ndarray]
) -> np.ndarray:
    """A line's demand times its multiplier, if it has one, and ``factors`` in order."""
    out = demand
    if name in plan.multipliers:
        dist = plan.multipliers[name]
        out = out * draws.scalar(line_input(name, "multiplier"), dist)[:, None]
    for factor in factors:
        out = out * factor if out is demand else np.multiply(out, factor, out=out)
    return out


def _event_factor(plan: Plan, draws: _Draws, event: MultiplierEvent | ShockEvent) -> np.ndarray:
    """The event's factor (n, n_sim) on demand."""
    values = _draw_event(draws, event)
    if isinstance(event, MultiplierEvent):  # times 1 exactly in its other months
        flags = np.isin(plan.sim_months, event.months)
        return ev.multiplier_factor(values["factor"], flags)
    hit = values["occurs"] == 1.0
    return ev.shock_factor(hit, values["start"], values["months"], values["size"], plan.month_pos)


def _gap_factor(plan: Plan, draws: _Draws, event: GapEvent) -> np.ndarray:
    """The share (n, n_sim) of normal production a stop leaves in each month."""
    values = _draw_event(draws, event)
    start, length = values["start"], values["weeks"] / ev.WEEKS_PER_MONTH
    fixed = event.start.is_fixed and event.weeks.is_fixed
    mass = _ramp_mass(plan, start + length, values, "ramp_weeks", ev.WEEKS_PER_MONTH, fixed)
    return ev.gap_factor(start, length, values["level"], plan.month_pos, mass)


def _capacity(plan: Plan, draws: _Draws, event: CapacityEvent) -> np.ndarray:
    values = _draw_event(draws, event)
    step, step_limit = values.get("step_month"), values.get("step_limit")
    return ev.capacity_limit(values["limit"], step, step_limit, plan.month_pos)


def _cancel(plan: Plan, draws: _Draws) -> np.ndarray:
    """The share (n,) of the backlog cancelled each month (0 when nothing can wait)."""
    if not plan.backlog:
        return np.zeros(draws.n)
    return draws.scalar(SUPPLY_CANCEL, plan.cancel or default_cancel())


SupplyEvents = tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...], tuple[np.ndarray, ...]]
"""The ceilings whose overflow is lost, those whose overflow waits, and the stops."""


def _supply_events(plan: Plan, draws: _Draws, line: str | None) -> SupplyEvents:
    """The ceilings (overflow lost, overflow waiting) and stops of ``line`` (None: the
    whole plant), in event-name order so the file's order changes nothing."""
    lost: list[np.ndarray] = []
    limits: list[np.ndarray] = []
    gaps: list[np.ndarray] = []
    for event in sorted(plan.events, key=lambda e: e.name):
        if event.line != line:
            continue
        if isinstance(event, CapacityEvent):
            (lost if event.overflow == "lost" else limits).append(_capacity(plan, draws, event))
        elif isinstance(event, GapEvent):
            gaps.append(_gap_factor(plan, draws, event))
    return tuple(lost), tuple(limits), tuple(gaps)


def _company_events(plan: Plan, draws: _Draws) -> SupplyEvents:
    """The whole plant's ceilings and stops, the fitted ceiling last among the waiting."""
    lost, limits, gaps = _supply_events(plan, draws, None)
    if plan.supply is not None:
        limits = (*limits, _fitted_ceiling(plan, draws))
    return lost, limits, gaps


def _line_supply(demand: np.ndarray, cancel: np.ndarray, events: SupplyEvents) -> np.ndarray:
    """A line's deliveries under its capacity events and gaps, with its own backlog."""
    lost, limits, gaps = (list(e) for e in events)
    if not (lost or limits or gaps):
        return demand  # what deliver returns, without the ceiling it would make
    return deliver(demand, lost=lost, limits=limits, gaps=gaps, cancel=cancel)[0]


def _company_supply(
    draws: _Draws,
    lines: dict[str, np.ndarray],
    total: np.ndarray,
    cancel: np.ndarray,
    events: SupplyEvents,
) -> tuple[np.ndarray, np.ndarray]:
    """The total under the company ceiling (the fitted one with the total's capacity
    events, ``_company_events``) and whole-plant gaps, with the company's backlog; lines
    shared in proportion when kept. Returns the deliveries and the production ceiling,
    both (n, n_sim)."""
    lost, limits, gaps = (list(e) for e in events)
    stack = np.stack(list(lines.values())) if draws.keep_lines and lines else None
    total, ceiling, stack = deliver(
        total, lost=lost, limits=limits, gaps=gaps, cancel=cancel, lines=stack
    )
    if stack is not None:
        lines.update(zip(lines, stack, strict=True))
    return total, ceiling


def _fitted_ceiling(plan: Plan, draws: _Draws) -> np.ndarray:
    """The company's fitted ceiling (n, n_sim) at one quantile per path (``supply.ceiling``);
    recorded as its last month's value."""
    assert plan.supply is not None
    ceiling = plan.supply.ceiling(plan.sim_months, draws.uniform(SUPPLY_CEILING))
    draws.keep(SUPPLY_CEILING, ceiling[:, -1], plan.supply.spread(plan.sim_months))
    return ceiling


# ---------------------------------------------------------------- pins


def _check_pinned(plan: Plan, pinned: Mapping[str, float]) -> Mapping[str, float]:
    known = {i.key for i in plan_inputs(plan)}
    problems = [
        f"pinned: {key}: unknown input (uncertain inputs: {', '.join(input_keys(plan))})"
        for key in pinned
        if key not in known
    ]
    problems += [
        f"pinned: {key}: quantile must be strictly between 0 and 1, got {u!r}"
        for key, u in pinned.items()
        if not 0.0 < float(u) < 1.0
    ]
    if problems:
        raise ConfigError(problems)
    return {key: float(u) for key, u in pinned.items()}


# ---------------------------------------------------------------- helpers


def _dot(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row-wise ``x @ w`` without BLAS, whose rounding may depend on the number of rows."""
    return (x * w).sum(axis=1)


def _store(
    target: dict[str, np.ndarray], parts: Mapping[str, np.ndarray], rows: slice, n: int
) -> None:
    for key, values in parts.items():
        if key not in target:
            target[key] = np.empty((n, *values.shape[1:]))
        target[key][rows] = values
