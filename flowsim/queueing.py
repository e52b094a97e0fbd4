"""Queueing theory and an independent reference, for checking flowsim against both.

The closed forms (Erlang B and C, M/M/c waits, the M/G/∞ census) and two references that share
no code with flowsim's model: the Kiefer-Wolfowitz recursion for a FIFO queue (no event list at
all) and a plain `heapq` event loop for the station → oxygen-ward tandem (no SimPy). They take
numbers, numpy arrays and a scenario's parameters, and never run flowsim: `flowsim.validation`
runs the model, measures it and judges it against them; `flowsim.teaching` draws them beside the
simulated curves.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .config import Scenario
from .distributions import Distribution, Empirical, Exponential, Fixed, Gamma, Lognormal, Weibull

# -- closed forms ---------------------------------------------------------------------------------

def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/G/c/c with offered load `load` = λ·E[S] (Erlangs); any stay law."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c (load = λ/μ Erlangs, must be below `servers`)."""
    if load >= servers:
        return 1.0
    b = erlang_b(servers, load)
    rho = load / servers
    return b / (1.0 - rho * (1.0 - b))


def mmc_mean_wait(servers: int, arrival_rate: float, mean_stay: float) -> float:
    """Mean wait in queue Wq of M/M/c (days): P(wait) / (c·μ − λ)."""
    load = arrival_rate * mean_stay
    return erlang_c(servers, load) * mean_stay / (servers - load)


def mginf_mean_census(arrival_rate: float, mean_stay: float) -> float:
    """Mean number in M/G/∞ (no one waits): λ·E[S], whatever the stay law beyond its mean."""
    return arrival_rate * mean_stay


# -- FIFO queue: the Kiefer-Wolfowitz recursion --------------------------------------------------

def fifo_waits(arrival: np.ndarray, stay: np.ndarray, servers: int) -> np.ndarray:
    """Waits (days) in a first-come-first-served queue with `servers` servers, by the
    Kiefer-Wolfowitz recursion on the servers' free times: a reference with no event list at all."""
    free = [0.0] * servers
    waits = np.empty(len(arrival))
    for i, (a, s) in enumerate(zip(arrival.tolist(), stay.tolist(), strict=True)):
        start = max(a, heapq.heappop(free))
        waits[i] = start - a
        heapq.heappush(free, start + s)
    return waits


# -- two tiers in tandem: an independent event loop ----------------------------------------------

def _sampler(dist: Distribution, rng: np.random.Generator) -> Callable[[int], np.ndarray]:
    """n draws of one duration law straight from numpy (not through flowsim's samplers)."""
    if isinstance(dist, Fixed):
        return lambda n: np.full(n, dist.value)
    if isinstance(dist, Exponential):
        return lambda n: rng.exponential(dist.mean_days, n)
    if isinstance(dist, Gamma):
        return lambda n: rng.gamma(dist.shape, dist.scale, n)
    if isinstance(dist, Weibull):
        return lambda n: dist.scale * rng.weibull(dist.shape, n)
    if isinstance(dist, Lognormal):
        s2 = math.log(1 + (dist.sd_days / dist.mean_days) ** 2)
        return lambda n: rng.lognormal(math.log(dist.mean_days) - s2 / 2, math.sqrt(s2), n)
    if isinstance(dist, Empirical):
        w = np.ones(len(dist.values)) if dist.weights is None else np.asarray(dist.weights, float)
        return lambda n: rng.choice(np.asarray(dist.values, float), n, p=w / w.sum())
    raise TypeError(f"no sampler for {dist!r}")


@dataclass
class TandemInputs:
    """Every random number the tandem needs, per F0 in order of arrival (days)."""

    arrival: np.ndarray
    deteriorates: np.ndarray
    delay: np.ndarray
    """Diagnosis → need of oxygen, for those who deteriorate."""
    stay1: np.ndarray
    """Tier-1 stay, for those who do not."""
    stay2: np.ndarray


def constant_rate(scenario: Scenario) -> float:
    """The arrival rate (F0/day) of a scenario with constant arrivals, as every reference case has."""
    rate = scenario.arrivals.rate_per_day
    if scenario.arrivals.profile != "constant" or rate is None:
        raise ValueError(f"arrivals: a reference case needs a constant rate, not profile {scenario.arrivals.profile!r}")
    return rate


def tandem_sample(scenario: Scenario, seed: int | Sequence[int]) -> TandemInputs:
    """Fresh inputs from numpy's own generator, independent of flowsim's streams."""
    rng = np.random.default_rng(seed)
    lam, horizon = constant_rate(scenario), scenario.horizon_days
    gaps = rng.exponential(1 / lam, int(lam * horizon + 10 * math.sqrt(lam * horizon) + 10))
    arrival = np.cumsum(gaps)
    arrival = arrival[arrival < horizon]
    n = len(arrival)
    clin = scenario.clinical
    return TandemInputs(arrival, rng.random(n) < scenario.risk_groups[0].p_deteriorate,
                        _sampler(clin.time_to_deterioration, rng)(n), _sampler(clin.tier1_stay, rng)(n),
                        _sampler(clin.tier2_stay, rng)(n))


def tandem_reference(scenario: Scenario, inputs: TandemInputs) -> dict[str, float]:
    """The tandem of `configs/teaching/tandem.yaml` by a plain event loop (heapq; no SimPy, no
    flowsim): F0 → a station of c1 beds (full: home) → those who deteriorate need one of c2 oxygen
    beds, first come first served; a station patient keeps their station bed until an oxygen bed
    is free (blocking). Transfers are instantaneous.

    Over [warmup, horizon]: mean blocked station beds, mean wait for an oxygen bed (requests made
    in the window; a wait still under way counts with its length so far), share of F0 who found
    the station full."""
    free1, free2 = scenario.facilities[0].beds.tier1, scenario.facilities[1].beds.tier2
    warm, horizon = scenario.warmup_days, scenario.horizon_days
    arrive, need, leave1, leave2 = 0, 1, 2, 3
    events: list[tuple[float, int, int, int]] = [(t, i, arrive, i) for i, t in enumerate(inputs.arrival.tolist())]
    heapq.heapify(events)
    seq = len(events)
    queue: deque[tuple[float, int, bool]] = deque()
    at_station = np.zeros(len(inputs.arrival), bool)
    blocked = waited = 0.0
    requests = arrivals = overflow = 0

    def push(t: float, kind: int, patient: int) -> None:
        nonlocal seq
        heapq.heappush(events, (t, seq, kind, patient))
        seq += 1

    def admit(t: float, since: float, patient: int) -> None:
        nonlocal free1, blocked, waited, requests
        if since >= warm:
            waited += t - since
            requests += 1
        if at_station[patient]:
            free1 += 1
            blocked += max(0.0, t - max(since, warm))
        push(t + inputs.stay2[patient], leave2, patient)

    while events:
        t, _, kind, i = heapq.heappop(events)
        if t > horizon:
            break
        if kind == arrive:
            at_station[i] = free1 > 0
            free1 -= at_station[i]
            if t >= warm:
                arrivals += 1
                overflow += not at_station[i]
            if inputs.deteriorates[i]:
                push(t + inputs.delay[i], need, i)
            elif at_station[i]:
                push(t + inputs.stay1[i], leave1, i)
        elif kind == leave1:
            free1 += 1
        elif kind == need:
            if free2 > 0 and not queue:
                free2 -= 1
                admit(t, t, i)
            else:
                queue.append((t, i, at_station[i]))
        elif queue:
            since, j, _ = queue.popleft()
            admit(t, since, j)
        else:
            free2 += 1
    for since, _, held in queue:  # still waiting at the horizon
        if since >= warm:
            waited += horizon - since
            requests += 1
        if held:
            blocked += horizon - max(since, warm)
    return {"blocked_beds": blocked / (horizon - warm), "wait": waited / max(requests, 1),
            "overflow": overflow / max(arrivals, 1)}
