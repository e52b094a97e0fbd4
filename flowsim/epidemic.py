"""Epidemic-driven demand: the expected F0 diagnoses per day from an epidemic model.

Two models, both in days and people:

- **SEIR** (`seir_curve`): a closed population in compartments S → E → I → R, solved with
  scipy's `solve_ivp`. Transmission β(t) = R0 · m(t) / infectious period, where m(t) is set by
  dated interventions. The F0 stream is `detection_share` of the new infections, diagnosed after
  a delay (`delay_pmf`). The start is put on the epidemic's own growth path (E and I in the
  proportions of the dominant eigenvector), so cases grow at the stated doubling time from day 0.
- **Renewal equation** (`renewal_curve`): diagnoses c_t = R_t · m(t) · S_t/S_0 · Σ_s w_s c_{t-s}
  (w: the generation interval), seeded by a case history or by exponential growth at the rate Rt
  implies. This is what the fit to a case history projects forward.

The fit (`estimate_rt`) is Cori et al. (Am J Epidemiol 2013), as in EpiEstim: over a trailing
window of τ days, with a gamma prior (shape a, scale b) on R, the posterior of R is
Gamma(a + Σ c_t, scale 1 / (1/b + Σ Λ_t)), Λ_t = Σ_s w_s c_{t-s}. Its interval covers the
uncertainty of R given the window's counts under that model (Poisson counts, constant R in the
window, a known generation interval), not a change of R after the window nor reporting
artefacts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats
from scipy.integrate import solve_ivp

if TYPE_CHECKING:  # in annotations only: config imports this module to check a renewal fit at load
    from .config import Arrivals, Delay, Intervention, Renewal, Seir

_DELAY_POINTS = 64
CORI_PRIOR_SHAPE = 1.0
CORI_PRIOR_SCALE = 5.0
"""EpiEstim's default prior on R: mean 5, SD 5 (vague)."""


def transmission_multiplier(interventions: Sequence[Intervention], t: np.ndarray | float) -> np.ndarray:
    """m(t) = 1 − effect(t): each intervention moves the effect from the level before it to its
    own `effect`, linearly over `ramp_days` from `day` (interventions replace, not stack)."""
    t = np.asarray(t, float)
    effect = np.zeros_like(t)
    for iv in sorted(interventions, key=lambda i: i.day):
        frac = np.clip((t - iv.day) / iv.ramp_days, 0, 1) if iv.ramp_days > 0 else (t >= iv.day).astype(float)
        effect = effect + frac * (iv.effect - effect)
    return 1.0 - effect


def _breakpoints(interventions: Sequence[Intervention], days: int) -> list[float]:
    """Where m(t) has a kink or a jump: the solver restarts there."""
    points = {0.0, float(days)}
    for iv in interventions:
        for p in (iv.day, iv.day + iv.ramp_days):
            if 0 < p < days:
                points.add(float(p))
    return sorted(points)


def delay_pmf(delay: Delay, minimum: int = 0) -> np.ndarray:
    """P(an event on day j is followed k whole days later) for k = 0, 1, …: a gamma delay (a fixed
    one if `sd_days` is 0) after a time uniform within the day. `minimum` zeroes k < minimum and
    renormalises (a generation interval starts at 1 day)."""
    u = (np.arange(_DELAY_POINTS) + 0.5) / _DELAY_POINTS
    kmax = int(math.ceil(delay.mean_days + 8 * delay.sd_days)) + 2
    k = np.arange(kmax + 1)[:, None]
    if delay.sd_days > 0:
        shape = (delay.mean_days / delay.sd_days) ** 2
        dist = stats.gamma(shape, scale=delay.mean_days / shape)
        pmf = (dist.cdf(k + 1 - u) - dist.cdf(k - u)).mean(axis=1)
    else:
        pmf = ((k <= u + delay.mean_days) & (u + delay.mean_days < k + 1)).mean(axis=1)
    pmf[:minimum] = 0.0
    return pmf / pmf.sum()


# -- SEIR -----------------------------------------------------------------------------------------

def seir_growth_rate(r0: float, incubation_days: float, infectious_days: float) -> float:
    """Early exponential growth rate r (per day) of an SEIR epidemic whose effective reproduction
    number is `r0`: the larger root of (1 + r·T_E)(1 + r·T_I) = R, negative when R < 1
    (Wallinga & Lipsitch 2007)."""
    a = incubation_days * infectious_days
    b = incubation_days + infectious_days
    return (-b + math.sqrt(b * b - 4 * a * (1 - r0))) / (2 * a)


def seir_r0(seir: Seir) -> float:
    """R0 of the model: given, or the one that makes infections double every `doubling_days` at
    the start (before any intervention, with the immune share already immune)."""
    if seir.r0 is not None:
        return seir.r0
    assert seir.doubling_days is not None
    r = math.log(2) / seir.doubling_days
    return (1 + r * seir.incubation_days) * (1 + r * seir.infectious_days) / (1 - seir.immune_share)


def seir_doubling_days(seir: Seir) -> float:
    """Doubling time (days) of infections at the start: given, or the one R0 implies (inf if it declines)."""
    if seir.doubling_days is not None:
        return seir.doubling_days
    r = seir_growth_rate(seir_r0(seir) * (1 - seir.immune_share), seir.incubation_days, seir.infectious_days)
    return math.log(2) / r if r > 0 else math.inf


def seir_curve(seir: Seir, interventions: Sequence[Intervention], days: int) -> pd.DataFrame:
    """One row per day 0..days-1: compartments at the start of the day, `infections` during the
    day, and `diagnoses`, the expected F0 that day (detection share × infections, delayed)."""
    n = seir.population
    r0 = seir_r0(seir)
    sigma, gamma = 1 / seir.incubation_days, 1 / seir.infectious_days
    s_share = 1 - seir.immune_share
    r = seir_growth_rate(r0 * s_share * float(transmission_multiplier(interventions, 0.0)),
                         seir.incubation_days, seir.infectious_days)
    e_per_i = (r + gamma) / sigma  # the dominant eigenvector of the linearised E, I system
    i0 = seir.initial_infected / (1 + e_per_i)
    e0 = seir.initial_infected - i0
    y = np.array([n * s_share - e0 - i0, e0, i0, n * seir.immune_share, 0.0])

    def rhs(t: float, y: np.ndarray) -> list[float]:
        s, e, i, _, _ = y
        force = r0 * gamma * float(transmission_multiplier(interventions, t)) * s * i / n
        return [-force, force - sigma * e, sigma * e - gamma * i, gamma * i, force]

    states = [y]
    points = _breakpoints(interventions, days)
    for lo, hi in zip(points[:-1], points[1:], strict=True):
        grid = np.arange(math.floor(lo) + 1, math.ceil(hi) + 1, dtype=float)
        sol = solve_ivp(rhs, (lo, hi), y, t_eval=np.unique([*grid[grid <= hi], hi]),
                        method="LSODA", rtol=1e-9, atol=1e-6)
        if not sol.success:  # pragma: no cover - LSODA on this smooth system does not fail
            raise RuntimeError(f"SEIR solver failed: {sol.message}")
        y = sol.y[:, -1]
        states.extend(sol.y[:, k] for k, t in enumerate(sol.t) if float(t).is_integer() and t > lo)
    table = np.array(states[: days + 1])
    infections = np.diff(table[:, 4])
    pmf = delay_pmf(seir.diagnosis_delay)
    past = infections[0] * np.exp(-r * np.arange(1, len(pmf) + 1))  # before day 0: on the same growth path
    diagnoses = seir.detection_share * _delayed(infections, past, pmf)
    return pd.DataFrame({"day": np.arange(days), "susceptible": table[:-1, 0], "exposed": table[:-1, 1],
                         "infectious": table[:-1, 2], "removed": table[:-1, 3], "infections": infections,
                         "diagnoses": diagnoses})


def _delayed(series: np.ndarray, past: np.ndarray, pmf: np.ndarray) -> np.ndarray:
    """Σ_k pmf_k · series[t−k]; `past[j]` is the value j+1 days before day 0."""
    full = np.concatenate([past[: len(pmf)][::-1], series])
    return np.convolve(full, pmf)[len(pmf) : len(pmf) + len(series)]


# -- renewal equation ----------------------------------------------------------------------------

def growth_rate_from_r(r: float | np.ndarray, w: np.ndarray) -> np.ndarray:
    """Growth rate (per day) for reproduction number R and a daily generation interval w:
    the root of 1 = R Σ_s w_s e^{−r s} (Euler–Lotka; Wallinga & Lipsitch 2007)."""
    s = np.arange(len(w))
    r = np.asarray(r, float)
    g = np.zeros_like(r)
    for _ in range(100):  # Newton: the sum is convex and decreasing in g, so this converges
        terms = w * np.exp(-np.multiply.outer(g, s))
        step = (r * terms.sum(axis=-1) - 1) / (r * (terms * s).sum(axis=-1))
        g = g + step
        if np.all(np.abs(step) < 1e-12):
            break
    return g


def rt_from_growth(growth: float, w: np.ndarray) -> float:
    """The reproduction number whose renewal process grows at `growth` per day (Euler–Lotka)."""
    return float(1 / np.sum(w * np.exp(-growth * np.arange(len(w)))))


def renewal_history(renewal: Renewal, history: Sequence[float] | None, rt: float) -> np.ndarray:
    """The case history the renewal equation starts from (oldest first, ending the day before
    day 0): the given one, or `cases_per_day` on the growth path R_t implies."""
    if history is not None and len(history):
        return np.asarray(history, float)
    w = delay_pmf(renewal.generation_interval, minimum=1)
    g = float(growth_rate_from_r(rt, w))
    assert renewal.cases_per_day is not None
    return renewal.cases_per_day * np.exp(-g * np.arange(len(w), 0, -1))


def renewal_curve(renewal: Renewal, interventions: Sequence[Intervention], days: int,
                  history: Sequence[float] | None, rt: float | np.ndarray | None = None) -> np.ndarray:
    """Expected F0 diagnoses on days 0..days-1 (one row per value of `rt` if it is an array;
    default: the scenario's R_t, or the fit to the history)."""
    if rt is None:
        rt = renewal_rt(renewal, history)
    rts = np.atleast_1d(np.asarray(rt, float))
    w = delay_pmf(renewal.generation_interval, minimum=1)
    past = renewal_history(renewal, history, float(rts.mean()))
    c = np.zeros((len(rts), len(past) + days))
    c[:, : len(past)] = past
    m = transmission_multiplier(interventions, np.arange(days, dtype=float))
    susceptible = None if renewal.population is None else renewal.population * (1 - renewal.immune_share)
    infected = np.zeros(len(rts))
    lag = w[1:][::-1]
    for d in range(days):
        t = len(past) + d
        window = c[:, max(0, t - len(lag)) : t]
        pressure = window @ lag[len(lag) - window.shape[1] :]
        depletion = 1.0 if susceptible is None else np.clip(1 - infected / susceptible, 0, 1)
        c[:, t] = rts * m[d] * depletion * pressure
        infected = infected + c[:, t] / renewal.detection_share
    out = c[:, len(past) :]
    return out if np.ndim(rt) else out[0]


def renewal_rt(renewal: Renewal, history: Sequence[float] | None) -> float:
    """R_t of a renewal profile: given, or the posterior mean fitted to the history's last window."""
    if renewal.rt is not None:
        return renewal.rt
    fit = estimate_rt([] if history is None else history, renewal.fit_window_days, renewal.generation_interval)
    return float(fit["rt_mean"].iloc[-1])


# -- fit: Cori et al. -----------------------------------------------------------------------------

def estimate_rt(cases: Sequence[float], window_days: int, generation_interval: Delay,
                prior_shape: float = CORI_PRIOR_SHAPE, prior_scale: float = CORI_PRIOR_SCALE) -> pd.DataFrame:
    """R_t over every trailing window of `window_days` ending on day t (windows start after one mean
    generation interval, where the history before day 0 no longer matters much): posterior mean, SD and 95% credible interval, and
    the growth rate and doubling time they imply through the generation interval."""
    c = np.asarray(cases, float)
    w = delay_pmf(generation_interval, minimum=1)
    pressure = np.convolve(c, w)[: len(c)]  # Λ_t = Σ_s w_s c_(t-s), w_0 = 0

    def window_sum(x: np.ndarray) -> np.ndarray:
        total = np.concatenate([[0.0], np.cumsum(x)])
        return total[window_days + 1 :] - total[1 : len(x) - window_days + 1]

    days = np.arange(window_days, len(c))
    pressure_sum = window_sum(pressure)
    first = math.ceil(generation_interval.mean_days) + 1  # EpiEstim: windows start after one mean interval
    keep = (pressure_sum > 0) & (days - window_days + 1 >= first)
    shape = prior_shape + window_sum(c)[keep]
    rate = 1 / prior_scale + pressure_sum[keep]
    if not keep.any():
        raise ValueError(f"the case history needs at least {window_days + first} days, with cases, to estimate R_t "
                         f"(a {window_days}-day window after one mean generation interval)")
    table = pd.DataFrame({"day": days[keep], "cases": c[days[keep]], "rt_mean": shape / rate,
                          "rt_sd": np.sqrt(shape) / rate, "rt_lower": stats.gamma.ppf(0.025, shape) / rate,
                          "rt_upper": stats.gamma.ppf(0.975, shape) / rate, "shape": shape, "rate": rate})
    for col in ("mean", "lower", "upper"):
        table[f"growth_{col}"] = growth_rate_from_r(table[f"rt_{col}"].to_numpy(), w)
    table["doubling_days"] = np.where(table["growth_mean"] > 0, np.log(2) / table["growth_mean"], np.inf)
    return table


@dataclass(frozen=True)
class Projection:
    """A fit to a case history and the forecast it implies under stated interventions."""

    rt: pd.DataFrame
    """`estimate_rt` over the history: one row per window end."""
    curve: pd.DataFrame
    """day (0 = the day after the history), expected (at the posterior mean R), lower, upper (2.5% and
    97.5% over posterior draws of R: the fit's uncertainty, not day-to-day Poisson noise)."""


def project(renewal: Renewal, history: Sequence[float], interventions: Sequence[Intervention], days: int,
            draws: int = 400, seed: int = 0) -> Projection:
    """Fit R_t to the last window of `history` (Cori) and project diagnoses `days` ahead."""
    rt = estimate_rt(history, renewal.fit_window_days, renewal.generation_interval)
    last = rt.iloc[-1]
    sample = np.random.default_rng(seed).gamma(last["shape"], 1 / last["rate"], draws)
    paths = renewal_curve(renewal, interventions, days, history, sample)
    expected = renewal_curve(renewal, interventions, days, history, float(last["rt_mean"]))
    lower, upper = np.quantile(paths, [0.025, 0.975], axis=0)
    curve = pd.DataFrame({"day": np.arange(days), "expected": expected, "lower": lower, "upper": upper})
    return Projection(rt, curve)


def growth_from_totals(window_total: float, window_days: float, cumulative: float) -> tuple[float, float]:
    """Growth rate (per day) and the daily rate at the window's end from two reported totals: the
    cases of the last `window_days` and all cases since the wave began, assuming growth has been
    exponential since then: window_total / cumulative = 1 − e^{−r·window_days}, rate = r · cumulative."""
    if not 0 < window_total < cumulative:
        raise ValueError("the window's cases must be positive and fewer than all cases")
    r = -math.log(1 - window_total / cumulative) / window_days
    return r, r * cumulative


# -- what the arrivals module needs ------------------------------------------------------------

def expected_diagnoses(arrivals: Arrivals, days: int, rt: float | None = None) -> np.ndarray:
    """Expected F0 per day on days 0..days-1 of an epidemic profile (`seir` or `renewal`)."""
    if arrivals.profile == "seir":
        assert arrivals.seir is not None
        return seir_curve(arrivals.seir, arrivals.interventions, days)["diagnoses"].to_numpy()
    assert arrivals.renewal is not None
    return renewal_curve(arrivals.renewal, arrivals.interventions, days, arrivals.daily_cases, rt)


def draw_rt(arrivals: Arrivals, rng: np.random.Generator) -> float | None:
    """This replication's R_t: a gamma draw with mean R_t and SD `rt_sd`, or None (use R_t)."""
    if arrivals.profile != "renewal" or arrivals.renewal is None or arrivals.renewal.rt_sd == 0:
        return None
    mean = renewal_rt(arrivals.renewal, arrivals.daily_cases)
    shape = (mean / arrivals.renewal.rt_sd) ** 2
    return float(rng.gamma(shape, mean / shape))


def arrivals_curve(arrivals: Arrivals, days: int) -> pd.DataFrame:
    """The F0/day curve a run draws around: day, expected, and the central 95% band of one day's
    count (Poisson, or negative binomial with `overdispersion`), for plotting beside results."""
    expected = expected_diagnoses(arrivals, days)
    k = arrivals.overdispersion
    if k is None:
        lo, hi = stats.poisson.ppf([[0.025], [0.975]], expected)
    else:
        p = k / (k + np.maximum(expected, 1e-12))
        lo, hi = stats.nbinom.ppf([[0.025], [0.975]], k, p)
    return pd.DataFrame({"day": np.arange(days), "expected": expected, "lower": lo, "upper": hi})
