"""The capacity frontier: the highest constant F0/day at which the network meets its service targets.

A target is a figure that grows with the load and a limit it must stay under, e.g.
`P(icu_wait>2h)<=5%` (share of patients needing an ICU bed who wait more than 2 hours for it),
`deaths_waiting_per_1000<=1` (deaths while waiting per 1,000 F0) or any key figure,
`ambulance_response_p90<=30` (minutes). Every figure covers the statistics window.

The search is stochastic root-finding by sample-average approximation: at a rate λ, the figure's
mean over replications 0..R-1 (the same seed at every λ: common random numbers) is a
deterministic function ḡ(λ) of λ, and the frontier is the root of ḡ(λ) = limit, found by
bracketing and Brent's method (scipy). The bracket is aimed, not stepped blindly: the first rate
run also gives the utilisation of the pool the target's waits are for, and utilisation grows in
proportion to the load until the pool fills, so `start / utilisation` is where that pool would be
full — congestion targets cross just below it (Hanoi's ICU-wait target at ≈ 0.96 of it), and
the search starts there with small steps instead of ×1.5 steps from the start (which cost Hanoi 8
rates and runs far into overload, where one run costs 3–6 times one at today's rate). Its 95% interval inverts the test at each λ: the lower
end is where the *upper* end of ḡ's 95% interval reaches the limit (below it the target is met
with that confidence), the upper end where its *lower* end does. The interval covers chance in
the replications (and the parameters, with a posterior); not the model's structure. With
several targets the frontier is the lowest of theirs. One frontier per value of a capacity
lever (`vary`) gives the frontier as a line with its band.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import MAX_RATE_PER_DAY, ConfigError, Scenario
from .evaluations import DERIVED_FIGURES, Evaluator, WaitShare
from .experiments import variant
from .intervals import CONFIDENCE, t_interval
from .levers import with_levers
from .options import ExecutorLike
from .posterior import Posterior
from .replications import figure_names

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SHARE = re.compile(rf"^\s*P\(\s*(icu|oxygen|tier2|tier3)_wait\s*>\s*({_NUM})\s*(min|h|d)?\s*\)\s*<=\s*({_NUM})\s*(%?)\s*$",
                    re.IGNORECASE)
_LIMIT = re.compile(rf"^\s*([A-Za-z0-9_]+)\s*<=\s*({_NUM})\s*$")
_UNIT_DAYS = {"min": 1 / 1440, "h": 1 / 24, "d": 1.0, None: 1.0}
DEFAULT_TARGETS = ("P(icu_wait>2h)<=5%", "P(oxygen_wait>2h)<=5%")
"""Waits for a bed measure capacity. Deaths while waiting do not, on Hanoi: ≈ 1 per 1,000 F0 at any
rate from 1,000 to 5,000 a day (mostly home patients noticed late), so they are an option, not a default."""


@dataclass(frozen=True)
class Target:
    """A service target: `figure` (per replication) must stay at or under `limit` on average."""

    text: str
    figure: str
    limit: float
    share: WaitShare | None = None

    def describe(self) -> str:
        return self.text.replace(" ", "")


def parse_target(text: str, field: str = "target") -> Target:
    """`P(icu_wait>2h)<=5%`, `P(oxygen_wait>1d)<=0.1`, or `FIGURE<=LIMIT` for a key figure or
    `deaths_waiting_per_1000`; anything else is refused with the reason."""
    m = _SHARE.match(text)
    if m:
        which, amount, unit, limit, pct = m.groups()
        tier = 3 if which.lower() in ("icu", "tier3") else 2
        days = float(amount) * _UNIT_DAYS[unit.lower() if unit else None]
        share = float(limit) / (100 if pct else 1)
        if days < 0:
            raise ConfigError.at(field, "the wait must be 0 or more", text)
        if not 0 <= share <= 1:
            raise ConfigError.at(field, "a share must be between 0 and 1 (or 0% and 100%)", text)
        ws = WaitShare(tier, days)
        return Target(text.strip(), ws.name, share, ws)
    m = _LIMIT.match(text)
    if m:
        name, limit = m.group(1), float(m.group(2))
        known = [*figure_names(), *DERIVED_FIGURES]
        if name not in known:
            raise ConfigError.at(field, f"{name} is not a figure (a key figure, deaths_waiting_per_1000, "
                                 "or P(icu_wait>2h)<=5%)", text)
        if not math.isfinite(limit):
            raise ConfigError.at(field, "the limit must be a finite number", text)
        return Target(text.strip(), name, limit)
    raise ConfigError.at(field, "expected FIGURE<=LIMIT (e.g. deaths_waiting_per_1000<=1) or P(icu_wait>2h)<=5%",
                         text)


GUIDES: dict[str, tuple[str, ...]] = {
    "wait_tier3": ("utilisation_icu",), "full_days_icu": ("utilisation_icu",), "p_wait_tier3": ("utilisation_icu",),
    "wait_tier2": ("utilisation_oxygen",), "full_days_oxygen": ("utilisation_oxygen",),
    "p_wait_tier2": ("utilisation_oxygen",), "ambulance": ("utilisation_ambulances",),
    "transfers_delayed_by_vehicle": ("utilisation_ambulances",),
}
"""Which pools' utilisation aims the bracket for a target on a figure (by the figure's prefix);
any other figure is aimed by the busiest of the three."""
_ANY_POOL = ("utilisation_icu", "utilisation_oxygen", "utilisation_ambulances")


def guides(target: Target) -> tuple[str, ...]:
    """The utilisation figures whose saturation the target's figure follows."""
    return next((g for prefix, g in GUIDES.items() if target.figure.startswith(prefix)), _ANY_POOL)


def with_rate(scenario: Scenario, rate: float) -> Scenario:
    """The scenario with a constant `rate` of new F0 a day (its profile replaced)."""
    return with_levers(scenario, {"daily_f0": float(rate)})


@dataclass
class TargetFrontier:
    """One target's frontier: the rate where ḡ(λ) meets the limit, and its interval."""

    target: Target
    rate: float
    lower: float
    upper: float
    status: str
    """'found'; 'met throughout' (met even at the highest rate tried: rate is that rate, a lower
    bound); 'never met' (missed even at the lowest rate tried: rate is that rate, an upper bound);
    'above' (met at the upper end of the binding target's interval, so it cannot bind and its own
    frontier, higher, was not searched: rate is that end, a lower bound).
    A target whose frontier lies above the binding target's interval cannot set the frontier: its
    interval is not computed (NaN)."""


@dataclass
class Frontier:
    """The highest constant F0/day meeting every target, with its interval and each target's."""

    rate: float
    lower: float
    upper: float
    binding: str
    """The target that sets the frontier (the lowest of the targets' frontiers)."""
    targets: list[TargetFrontier]
    evaluations: pd.DataFrame
    """Every rate evaluated: rate, figure, n, mean, half_width, lower, upper, limit, met."""
    replications: int
    simulations: int = 0
    reused: int = 0
    seconds: float = 0.0
    confidence: float = CONFIDENCE
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{**self.settings, "target": t.target.describe(), "frontier": t.rate, "lower": t.lower,
                              "upper": t.upper, "status": t.status, "binding": t.target.describe() == self.binding}
                             for t in self.targets])


class _Curve:
    """ḡ(λ) and its interval for one target, evaluated on demand (cached per rate)."""

    def __init__(self, scenario: Scenario, targets: Sequence[Target], evaluator: Evaluator, confidence: float,
                 digits: int) -> None:
        self.scenario = scenario
        self.targets = list(targets)
        self.ev = evaluator
        self.confidence = confidence
        self.digits = digits
        self.rows: list[dict[str, Any]] = []
        self._seen: dict[float, dict[str, tuple[float, float]]] = {}
        self.use: dict[float, dict[str, float]] = {}
        """Per rate: the mean utilisation of each guiding pool (NaN without one, e.g. no fleet)."""

    def snap(self, rate: float) -> float:
        """Rates are rounded to a few significant digits: the same point is found again on resume."""
        if rate <= 0:
            return 0.0
        return float(f"{rate:.{self.digits}g}")

    def at(self, rate: float) -> dict[str, tuple[float, float]]:
        rate = self.snap(rate)
        if rate not in self._seen:
            shares = [t.share for t in self.targets if t.share is not None]
            pools = sorted({g for t in self.targets for g in guides(t)})
            values = self.ev.figures(with_rate(self.scenario, rate), [t.figure for t in self.targets] + pools,
                                     shares, kind="frontier")
            self.use[rate] = {g: float(np.nanmean(values[g])) if np.isfinite(values[g]).any() else math.nan
                              for g in pools}
            out = {}
            for t in self.targets:
                x = values[t.figure]
                x = np.where(np.isnan(x), 0.0, x) if t.share is not None else x
                iv = t_interval(x, self.confidence)
                hw = iv.half_width if np.isfinite(iv.half_width) else 0.0
                out[t.figure] = (iv.mean, hw)
                self.rows.append({"rate": rate, "target": t.describe(), "figure": t.figure, "n": iv.n,
                                  "mean": iv.mean, "half_width": hw, "lower": iv.mean - hw, "upper": iv.mean + hw,
                                  "limit": t.limit, "met": bool(iv.mean <= t.limit)})
            self._seen[rate] = out
        return self._seen[rate]

    def rates(self) -> list[float]:
        """The rates evaluated so far."""
        return list(self._seen)

    def aim(self, target: Target, rate: float) -> float | None:
        """Where the target's pools would be full, read off the utilisation at `rate` (evaluated):
        rate / the highest utilisation; None when no pool is in use there."""
        self.at(rate)
        use = [u for g in guides(target) if (u := self.use[self.snap(rate)][g]) > 0]  # NaN > 0 is False
        return rate / max(use) if use else None

    def excess(self, target: Target, side: int) -> Callable[[float], float]:
        """ḡ(λ) + side × half-width − limit (side −1, 0, +1), for the root finder."""
        def f(rate: float) -> float:
            mean, hw = self.at(rate)[target.figure]
            value = mean + side * hw
            return (value if np.isfinite(value) else 0.0) - target.limit
        return f


def _root(f: Callable[[float], float], start: float, low: float, high: float, rtol: float,
          snap: Callable[[float], float], known: Sequence[float] = (), factor: float = 1.5,
          aim: float | None = None) -> tuple[float, str]:
    """The rate where f (increasing in the rate) crosses 0, to a relative tolerance.

    The bracket is the tightest one among the rates evaluated (`known` are free: cached). With an
    `aim` (a guess of the root) the search walks out from it, by steps of ×1.1 that grow (1.1,
    1.21, 1.46, …), until f changes sign; else it steps by `factor` from `start`, within [low,
    high]. Then Brent's method.
    """
    from scipy.optimize import brentq

    values = {r: f(r) for r in known}

    def bracket() -> tuple[float | None, float | None]:
        above = [r for r, v in values.items() if v > 0]
        b = min(above) if above else None
        below = [r for r, v in values.items() if v <= 0 and (b is None or r < b)]
        return (max(below) if below else None), b

    def probe(r: float) -> float:
        if r not in values:
            values[r] = f(r)
        return values[r]

    if aim is not None:
        r, step = snap(min(high, max(low, aim))), 1.1
        up = probe(r) <= 0
        while (probe(r) <= 0) == up:
            a, b = bracket()
            nxt = snap(min(high, r * step)) if up else snap(max(low, r / step))
            if nxt == r or (up and b is not None and nxt >= b) or (not up and a is not None and nxt <= a):
                break  # at the end of the range, or a rate already run is nearer than the next step
            r, step = nxt, step * step
    a, b = bracket()
    at = snap(start) if a is None and b is None else (a if b is None else b)
    assert at is not None
    r = at
    while a is None or b is None:
        if b is None and r >= high:
            return r, "met throughout"
        if a is None and r <= low:
            return r, "never met"
        r = snap(min(high, r * factor)) if probe(r) <= 0 else snap(max(low, r / factor))
        probe(r)
        a, b = bracket()
    if values[a] == 0 or b - a <= rtol * a:
        return a, "found"
    return snap(brentq(f, a, b, xtol=max(rtol * a, 1e-9), rtol=max(rtol, 4 * np.finfo(float).eps), maxiter=60)), "found"


def frontier(scenario: Scenario, targets: Sequence[Target | str] = DEFAULT_TARGETS, replications: int = 10,
             seed: int | None = None, *, start: float | None = None, low: float | None = None,
             high: float | None = None, rtol: float = 0.01, executor: ExecutorLike = "processes",
             workers: int | None = None, scheduler: str | None = None, store: str | Path | None = None,
             resume: bool = False, overwrite: bool = False, progress: bool = False,
             confidence: float = CONFIDENCE, posterior: Posterior | None = None,
             evaluator: Evaluator | None = None, settings: dict[str, Any] | None = None,
             report: Callable[[int, int], None] | None = None) -> Frontier:
    """The highest constant F0/day meeting every target, with its interval (see the module doc).

    The search starts at `start` (default: the scenario's constant rate, else 1,000 a day) and
    stays within [`low`, `high`] (default: 1/1,000 of the start to 1,000 times it); `rtol` is
    the relative precision of each root.
    """
    import time

    parsed = [t if isinstance(t, Target) else parse_target(t) for t in targets]
    if not parsed:
        raise ConfigError.at("target", "give at least one target, e.g. 'P(icu_wait>2h)<=5%'")
    if len({t.figure for t in parsed}) != len(parsed):
        raise ConfigError.at("target", "two targets on the same figure; keep the stricter one")
    if replications < 2:
        raise ConfigError.at("replications", "the frontier's interval needs at least 2", replications)
    if not 1e-4 <= rtol <= 0.5:
        raise ConfigError.at("rtol", "must be between 0.0001 and 0.5", rtol)
    a = scenario.arrivals
    start = float(start if start is not None else (a.rate_per_day if a.profile == "constant" and a.rate_per_day
                                                   else 1000.0))
    if not 0 < start <= MAX_RATE_PER_DAY:
        raise ConfigError.at("start", f"must be a rate above 0 and at most {MAX_RATE_PER_DAY:g} F0/day", f"{start:g}")
    low = start / 1000 if low is None else float(low)
    high = min(start * 1000, MAX_RATE_PER_DAY) if high is None else float(high)
    if not 0 < low <= start <= high <= MAX_RATE_PER_DAY:
        raise ConfigError.at("low", f"need 0 < `low` ({low:g}) ≤ `start` ({start:g}) ≤ `high` ({high:g}) ≤ "
                          f"{MAX_RATE_PER_DAY:g}")
    seed = scenario.seed if seed is None else int(seed)
    started = time.perf_counter()
    own = evaluator is None
    ev = evaluator or Evaluator(replications, seed, executor=executor, workers=workers, scheduler=scheduler,
                                store=store, resume=resume, overwrite=overwrite, progress=progress,
                                posterior=posterior, desc="frontier", report=report)
    ran0, reused0 = ev.ran, ev.reused
    digits = max(3, int(math.ceil(-math.log10(rtol))) + 2)
    try:
        curve = _Curve(scenario, parsed, ev, confidence, digits)
        met = {t.figure: curve.excess(t, 0)(start) <= 0 for t in parsed}
        aims = {t.figure: curve.aim(t, start) if met[t.figure] else None for t in parsed}
        results: dict[str, TargetFrontier] = {}
        bound = math.inf
        # the target aimed lowest first: a later one met where the frontier's interval ends cannot bind
        for t in sorted(parsed, key=lambda t: aims[t.figure] or (math.inf if met[t.figure] else 0.0)):
            if bound < math.inf and curve.excess(t, 0)(bound) <= 0:
                results[t.figure] = TargetFrontier(t, bound, math.nan, math.nan, "above")
                continue
            rate, status = _root(curve.excess(t, 0), start, low, high, rtol, curve.snap, curve.rates(),
                                 aim=aims[t.figure])
            if rate > bound:  # above the binding target's interval: it cannot set the frontier
                results[t.figure] = TargetFrontier(t, rate, math.nan, math.nan, status)
                continue
            # the interval's ends lie near the root: walk out from it (small steps) rather than ×1.5 into overload
            lower, _ = _root(curve.excess(t, +1), rate, low, high, rtol, curve.snap, curve.rates(), aim=rate)
            upper, _ = _root(curve.excess(t, -1), rate, low, high, rtol, curve.snap, curve.rates(), aim=rate)
            results[t.figure] = TargetFrontier(t, rate, min(lower, rate), max(upper, rate), status)
            bound = min(bound, max(upper, rate))
        ordered = [results[t.figure] for t in parsed]
        if own:
            ev.finish()
    finally:
        if own:
            ev.close()
    binding = min((r for r in ordered if r.status != "above"), key=lambda r: r.rate)
    lowers = [r.lower for r in ordered if not math.isnan(r.lower)]
    uppers = [r.upper for r in ordered if not math.isnan(r.upper)]
    return Frontier(binding.rate, min(lowers), min(uppers),
                    binding.target.describe(), ordered, pd.DataFrame(curve.rows), replications,
                    ev.ran - ran0, ev.reused - reused0, time.perf_counter() - started, confidence, settings or {})


@dataclass
class FrontierLine:
    """The frontier as one capacity field varies: one `Frontier` per value."""

    path: str
    values: list[Any]
    frontiers: list[Frontier]

    @property
    def table(self) -> pd.DataFrame:
        """Per value: the frontier with its interval, the binding target and how each target fares."""
        return pd.DataFrame([{self.path: v, "frontier": f.rate, "lower": f.lower, "upper": f.upper,
                              "binding": f.binding, **{f"frontier[{t.target.describe()}]": t.rate for t in f.targets}}
                             for v, f in zip(self.values, self.frontiers, strict=True)])


def frontier_line(scenario: Scenario, path: str, values: Sequence[Any], targets: Sequence[Target | str] = DEFAULT_TARGETS,
                  replications: int = 10, seed: int | None = None, *, executor: ExecutorLike = "processes",
                  workers: int | None = None, scheduler: str | None = None, store: str | Path | None = None,
                  resume: bool = False, overwrite: bool = False, progress: bool = False,
                  confidence: float = CONFIDENCE, posterior: Posterior | None = None, **search: Any) -> FrontierLine:
    """One frontier per value of the field `path` (e.g. capacity_scale.oxygen_beds), on one executor."""
    if not values:
        raise ConfigError.at("factor", "no values", path)
    scenarios = []
    for v in values:
        try:
            scenarios.append(variant(scenario, {path: v}))
        except ConfigError as exc:
            raise ConfigError.at("factor", str(exc), f"{path}={v}") from None
    parsed = [t if isinstance(t, Target) else parse_target(t) for t in targets]
    seed = scenario.seed if seed is None else int(seed)
    ev = Evaluator(replications, seed, executor=executor, workers=workers, scheduler=scheduler, store=store,
                   resume=resume, overwrite=overwrite, progress=progress, posterior=posterior, desc="frontier")
    try:
        found = []
        start = search.pop("start", None)
        for v, sc in zip(values, scenarios, strict=True):
            f = frontier(sc, parsed, replications, seed, start=start, confidence=confidence, evaluator=ev,
                         settings={path: v}, **search)
            found.append(f)
            start = f.rate if f.rate > 0 else start  # the next value's frontier is near this one
        ev.finish()
    finally:
        ev.close()
    return FrontierLine(path, list(values), found)
