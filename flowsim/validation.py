"""flowsim against queueing theory: the reference cases behind `flowsim validate`.

Each case runs a small teaching config (`configs/teaching/`) or the Hanoi scenario over
independent replications (replication *i* uses its own random streams) and returns its checks:
the quantity, its theoretical value and the per-replication estimates; `judge(checks)` makes the
tidy table (case, quantity, theory, simulated mean, 95% interval, relative error, pass). The waits of one run are autocorrelated, so no interval here is ever computed from them:
every interval is across replications, whose estimates are independent.

`judge` turns rows into the table: a 95% interval for each row, and a pass that asks two things —
the theory lies inside the interval widened for the number of checks (Bonferroni, so that a correct
model fails the whole table with probability at most `FAMILY_ALPHA`), and the interval is narrow
enough (`precision`, relative half-width) that agreement means something. A row that fails is a
finding about the model, not about the test.

The closed forms and the independent reference loops live in `flowsim.queueing`; the teaching
configs load through `flowsim.teaching.load`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import teaching
from .cohort import Cohort, progression_probability
from .cohort import draw as draw_cohort
from .config import InitialCensus, Scenario, load_scenario
from .intervals import t_quantile
from .pools import BED_POOLS, HOME_MONITORING, OXYGEN_BEDS
from .queueing import (
    TandemInputs,
    constant_rate,
    erlang_b,
    erlang_c,
    fifo_waits,
    mginf_mean_census,
    mmc_mean_wait,
    tandem_reference,
    tandem_sample,
)
from .simulation import RunResult, run
from .teaching import tandem_measure

FAMILY_ALPHA = 0.01
"""Chance that a correct model fails at least one row of a table (Bonferroni over its rows)."""
COLUMNS = ["case", "quantity", "theory", "mean", "ci_low", "ci_high", "error", "n", "passed", "note"]


# -- statistics ---------------------------------------------------------------------------------

@dataclass
class Check:
    """One quantity: its theory and the per-replication estimates of it."""

    case: str
    quantity: str
    theory: float
    values: np.ndarray
    precision: float
    """Largest acceptable 95% half-width, relative to the theory (or absolute if the theory is 0)."""
    theory_values: np.ndarray | None = None
    """When the reference is itself a simulation: its per-replication estimates."""
    exact: bool = False
    """A path-by-path comparison: every value must lie within `precision` of the theory."""

    def row(self) -> dict:
        x = np.asarray(self.values, float)
        n = len(x)
        if self.exact:
            worst = float(x[np.argmax(np.abs(x - self.theory))])
            return {"case": self.case, "quantity": self.quantity, "theory": self.theory, "theory_se": 0.0,
                    "mean": worst, "se": 0.0, "df": n - 1, "n": n, "precision": self.precision, "exact": True}
        se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
        theory, theory_se, df = self.theory, 0.0, n - 1
        if self.theory_values is not None:
            ref = np.asarray(self.theory_values, float)
            theory = float(ref.mean())
            theory_se = float(ref.std(ddof=1) / math.sqrt(len(ref)))
            df = min(n, len(ref)) - 1
        return {"case": self.case, "quantity": self.quantity, "theory": theory, "theory_se": theory_se,
                "mean": float(x.mean()), "se": se, "df": df, "n": n, "precision": self.precision, "exact": False}


def judge(rows: Iterable[Check | dict] | pd.DataFrame, family_alpha: float = FAMILY_ALPHA) -> pd.DataFrame:
    """The validation table: 95% interval, relative error and pass/fail for each row.

    Pass: |mean − theory| within the Bonferroni-widened interval (k rows, level 1 − α/k, with the
    reference's own error added when the theory is simulated), and a 95% half-width no wider than
    `precision` × |theory|. An exact row (same random numbers on both sides) passes when its worst
    replication lies within `precision` of the theory; it shows that worst value."""
    if not isinstance(rows, pd.DataFrame):
        rows = [r.row() if isinstance(r, Check) else r for r in rows]
    table = pd.DataFrame(rows)
    k = max(int((~table["exact"]).sum()) if len(table) else 0, 1)
    out = []
    for r in table.to_dict("records"):
        if r["exact"]:
            ok = abs(r["mean"] - r["theory"]) <= r["precision"]
            out.append({**r, "ci_low": r["mean"], "ci_high": r["mean"], "error": r["mean"] - r["theory"], "passed": bool(ok),
                        "note": "" if ok else f"differs by {r['mean'] - r['theory']:.3g} > {r['precision']:.3g}"})
            continue
        se = math.hypot(r["se"], r["theory_se"])
        half95 = t_quantile(r["df"], 0.975) * r["se"]
        wide = t_quantile(r["df"], 1 - family_alpha / (2 * k)) * se
        scale = abs(r["theory"]) if r["theory"] else 1.0
        agrees = abs(r["mean"] - r["theory"]) <= wide
        precise = half95 <= r["precision"] * scale
        note = "" if agrees and precise else ("; ".join(
            ([f"outside the {1 - family_alpha / k:.4%} interval ±{wide:.3g}"] if not agrees else [])
            + ([f"too imprecise: ±{half95:.3g} > {r['precision']:.0%}"] if not precise else [])))
        out.append({**r, "ci_low": r["mean"] - half95, "ci_high": r["mean"] + half95,
                    "error": (r["mean"] - r["theory"]) / r["theory"] if r["theory"] else r["mean"] - r["theory"],
                    "passed": bool(agrees and precise), "note": note})
    return pd.DataFrame(out, columns=[*COLUMNS, "se", "theory_se", "df", "precision", "exact"])


def measure_replications(scenario: Scenario, n: int, seed: int, measure: Callable[[RunResult], dict[str, float]],
                 **run_args: Any) -> pd.DataFrame:
    """`measure` of n independent replications (streams `(seed, i)`), one row each."""
    return pd.DataFrame([measure(run(scenario, seed=seed, replication=i, **run_args)) for i in range(n)])



# -- M/M/c: Erlang C ------------------------------------------------------------------------------

MMC_LOADS = (0.6, 0.8, 0.95)
QUICK_LOOSENESS = 2.0
"""Quick runs (the tests) accept intervals this many times wider than full ones."""


def _loose(quick: bool) -> float:
    return QUICK_LOOSENESS if quick else 1.0



def flowsim_cohort(scenario: Scenario, seed: int, replication: int) -> Cohort:
    """The F0 (arrival times, course variates) that `flowsim.run(scenario, seed, replication)` draws,
    for path-by-path comparisons: the reference shares the random numbers, not the logic. Index =
    patient id when the scenario has no initial census."""
    if scenario.initial_census.total:
        raise ValueError("path-by-path references need a scenario without an initial census")
    from .arrivals import diagnosis_times, districts_of
    from .streams import Streams

    streams = Streams(seed, replication)
    times = diagnosis_times(scenario.arrivals, scenario.horizon_days, streams.rng("arrivals", "times"))
    districts = districts_of(scenario, len(times), streams.rng("arrivals", "districts"))
    return draw_cohort(scenario, times, districts, streams)


def mmc(load: float, quick: bool = False, seed: int = 1, reps: int | None = None,
        horizon_days: float | None = None) -> list[Check]:
    """One oxygen ward as M/M/c at utilisation `load`: P(wait), mean wait Wq and mean queue Lq,
    and, path by path, every wait against the FIFO recursion on the same random numbers.

    Waits are those of patients arriving after the warm-up and at least ten mean stays before the
    horizon (so none is cut short); Lq is the exact time average of the waiting list."""
    reps = reps or (8 if quick else 10)
    horizon_days = horizon_days or (16_000 if quick else 40_000)
    base = teaching.load("mmc")
    servers = base.facilities[0].beds.tier2
    mean_stay = base.clinical.tier2_stay.mean
    rate = load * servers / mean_stay
    scenario = teaching.load("mmc", {"arrivals.rate_per_day": rate, "horizon_days": horizon_days})
    start, stop = scenario.warmup_days, horizon_days - 10 * mean_stay

    rows = []
    for i in range(reps):
        r = run(scenario, seed=seed, replication=i)
        waits = r.waits[r.waits["tier"] == 2]
        w = waits[(waits["start"] >= start) & (waits["start"] <= stop)]["wait"]
        cohort = flowsim_cohort(scenario, seed, i)
        done = waits[waits["status"] == "admitted"]
        reference = fifo_waits(cohort.arrival, cohort.tier2_stay, servers)[done["patient"].to_numpy()]
        rows.append({"p_wait": float((w > 0).mean()), "wq": float(w.mean()),
                     "lq": float(r.resources.set_index("resource").loc[OXYGEN_BEDS.name, "mean_queue"]),
                     "replay": float(np.abs(done["wait"].to_numpy() - reference).max())})
    m = pd.DataFrame(rows)
    p, wq = erlang_c(servers, rate * mean_stay), mmc_mean_wait(servers, rate, mean_stay)
    case, k = f"M/M/c  c={servers} ρ={load:g}", _loose(quick)
    return [Check(case, "P(wait)  Erlang C", p, m["p_wait"].to_numpy(), 0.05 * k),
            Check(case, "mean wait Wq (days)", wq, m["wq"].to_numpy(), 0.12 * k),
            Check(case, "mean queue Lq = λ·Wq", rate * wq, m["lq"].to_numpy(), 0.12 * k),
            Check(case, "same random numbers: max |wait − FIFO recursion|", 0.0, m["replay"].to_numpy(), 1e-9,
                  exact=True)]


# -- M/G/c/c: Erlang B and its insensitivity -------------------------------------------------------

ERLANG_B_STAYS: dict[str, dict] = {
    "exponential": {"dist": "exponential", "mean_days": 10},
    "fixed 10 d": {"dist": "fixed", "value": 10},
    "lognormal sd 15 d": {"dist": "lognormal", "mean_days": 10, "sd_days": 15},
}
"""Stay laws with one mean (10 days): Erlang B depends on the mean only."""


def erlang_b_case(stay: str, quick: bool = False, seed: int = 1, reps: int | None = None,
                  horizon_days: float | None = None) -> list[Check]:
    """A station whose overflow goes home: the share of mild F0 who find it full is Erlang B."""
    reps = reps or (8 if quick else 10)
    horizon_days = horizon_days or (4_000 if quick else 12_000)
    scenario = teaching.load("erlang_b", {"clinical.tier1_stay": ERLANG_B_STAYS[stay], "horizon_days": horizon_days})
    servers = scenario.facilities[0].beds.tier1
    load = constant_rate(scenario) * scenario.clinical.tier1_stay.mean

    def measure(r: RunResult) -> dict[str, float]:
        return {"blocked": r.summary["tier1_overflow"] / r.summary["tier1_needing_bed"]}

    m = measure_replications(scenario, reps, seed, measure)
    return [Check(f"M/G/c/c  c={servers} a={load:g}", f"P(full) Erlang B, {stay} stays",
                  erlang_b(servers, load), m["blocked"].to_numpy(), 0.04 * _loose(quick))]


# -- M/G/∞: the home census ------------------------------------------------------------------------

def mginf(quick: bool = False, seed: int = 1, reps: int | None = None,
          horizon_days: float | None = None) -> list[Check]:
    """Home treatment without limit, lognormal stays: the mean home census is λ·E[S]."""
    reps = reps or (6 if quick else 10)
    horizon_days = horizon_days or (400 if quick else 1_000)
    scenario = teaching.load("mginf", {"horizon_days": horizon_days})
    stay = scenario.clinical.tier1_stay
    theory = mginf_mean_census(constant_rate(scenario), stay.mean)

    def measure(r: RunResult) -> dict[str, float]:
        return {"census": float(r.resources.set_index("resource").loc[HOME_MONITORING.name, "mean_occupied"])}

    m = measure_replications(scenario, reps, seed, measure)
    return [Check("M/G/∞  home", f"mean census λ·E[S] ({stay.dist} stays)", theory, m["census"].to_numpy(),
                  0.01 * _loose(quick))]


# -- Little's law on every pool of the Hanoi scenario ----------------------------------------------

def little(quick: bool = False, seed: int = 1, reps: int | None = None, scenario: Scenario | None = None,
           horizon_days: float | None = None, warmup_days: float = 60) -> list[Check]:
    """L = λW on every bed pool and on home care of the Hanoi scenario, in its steady state.

    L is the exact time-average occupancy after the warm-up (from the level logs). λW is measured
    apart, from the per-stay records: the lengths of the stays that ended in the window, summed,
    over the window's length (admissions per day × mean stay). In a steady state the two agree in
    expectation whatever the pool's policy; the ratio L / λW is checked against 1. The warm-up lets
    the network settle from January's census to the steady state of its arrival rate."""
    reps = reps or (5 if quick else 8)
    horizon_days = horizon_days or (120 if quick else 150)
    scenario = scenario or load_scenario()
    scenario = scenario.model_copy(update={"horizon_days": horizon_days, "warmup_days": warmup_days})
    pools = [p.name for p in BED_POOLS] + [HOME_MONITORING.name]
    span = horizon_days - warmup_days

    def measure(r: RunResult) -> dict[str, float]:
        res = r.resources.set_index("resource")
        st = r.stays
        assert st is not None  # asked for: stays=True
        ended = st[(st["end"] > warmup_days) & (st["end"] <= horizon_days)]
        lam_w = (ended["end"] - ended["start"]).groupby(ended["pool"], observed=True).sum() / span
        return {p: float(res.loc[p, "mean_occupied"] / lam_w[p]) if lam_w.get(p, 0) > 0 else np.nan for p in pools}

    m = measure_replications(scenario, reps, seed, measure, stays=True)
    return [Check(f"Little  {scenario.name.split(',')[0]}", f"L / λW  {p}", 1.0, m[p].to_numpy(), 0.01 * _loose(quick))
            for p in pools if m[p].notna().all()]


# -- two tiers in tandem: flowsim against an independent event loop --------------------------------


def tandem_flowsim_inputs(scenario: Scenario, seed: int, replication: int) -> TandemInputs:
    """The very random numbers `flowsim.run(scenario, seed, replication)` draws (see `flowsim_cohort`)."""
    c = flowsim_cohort(scenario, seed, replication)
    deteriorates = c.u_deteriorate < progression_probability(scenario, c, False)
    return TandemInputs(c.arrival, deteriorates, c.time_to_deterioration, c.tier1_stay, c.tier2_stay)



def tandem(quick: bool = False, seed: int = 1, reps: int | None = None,
           horizon_days: float | None = None) -> list[Check]:
    """Station → oxygen ward with blocking, flowsim against `tandem_reference` two ways.

    Statistically: each with its own random numbers and replications, the difference judged with
    both errors. Path by path: the reference replays the very random numbers flowsim drew, so the
    two must agree to rounding on every replication (relative difference of the three quantities)."""
    reps = reps or (10 if quick else 25)
    horizon_days = horizon_days or (2_000 if quick else 3_000)
    scenario = teaching.load("tandem", {"horizon_days": horizon_days})
    names = ("blocked_beds", "wait", "overflow")
    own, replay = [], []
    for i in range(reps):
        got = tandem_measure(run(scenario, seed=seed, replication=i))
        same = tandem_reference(scenario, tandem_flowsim_inputs(scenario, seed, i))
        own.append(got)
        replay.append(max(abs(got[q] - same[q]) / max(abs(same[q]), 1e-12) for q in names))
    m = pd.DataFrame(own)
    ref = pd.DataFrame([tandem_reference(scenario, tandem_sample(scenario, seed=(seed, i))) for i in range(reps)])
    case, k = "tandem  station → oxygen", _loose(quick)
    return [Check(case, "blocked station beds (mean)", 0.0, m["blocked_beds"].to_numpy(), 0.15 * k,
                  ref["blocked_beds"].to_numpy()),
            Check(case, "mean wait for an oxygen bed (days)", 0.0, m["wait"].to_numpy(), 0.15 * k, ref["wait"].to_numpy()),
            Check(case, "share finding the station full", 0.0, m["overflow"].to_numpy(), 0.15 * k,
                  ref["overflow"].to_numpy()),
            Check(case, "same random numbers: max rel. difference", 0.0, np.array(replay), 1e-9, exact=True)]


# -- a steady state stays steady: the initial census ----------------------------------------------

STEADY_BLOCKS = ((0.0, 10.0), (10.0, 30.0))
"""Days after the start over which the started runs' census is held against the steady state."""


def steady_census(scenario: Scenario, reps: int, seed: int, horizon_days: float,
                  window: tuple[float, float]) -> pd.DataFrame:
    """The scenario run from empty until settled: per replication, the mean over `window` of the
    census by clinical need (`tier1..3`) and of where patients are, as `initial_census` counts
    them (`home`, `beds1..3`)."""
    empty = scenario.model_copy(update={"horizon_days": horizon_days, "warmup_days": 0.0,
                                        "initial_census": InitialCensus()})

    def measure(r: RunResult) -> dict[str, float]:
        ts = r.timeseries
        inside = ts[(ts["time"] >= window[0]) & (ts["time"] <= window[1])]
        out = {f"tier{t}": float(inside[f"census_tier{t}"].mean()) for t in (1, 2, 3)}
        out["home"] = float(inside[[f"tier{t}_home" for t in (1, 2, 3)]].sum(axis=1).mean())
        out |= {f"beds{b}": float(inside[f"in_beds_tier{b}"].mean()) for b in (1, 2, 3)}
        return out

    return measure_replications(empty, reps, seed + 1, measure)


def steady_start(quick: bool = False, seed: int = 1, reps: int | None = None,
                 scenario: Scenario | None = None, part_way: bool = True) -> list[Check]:
    """Started from its own steady state, the Hanoi network stays there: no start-up transient.

    Reference: runs from empty at Hanoi's constant arrival rate, once settled. Check: runs that
    start from that census (its rounded means, where patients are), every patient drawn
    conditional on where they are (`flowsim.initial`), hold the same census by tier over days 0-10
    and 10-30 as the settled runs, and the same rate of deaths while waiting in days 0-10 as in
    days 30-60 of the same runs (a paired difference, against 0). `part_way=False` starts every
    stay at t = 0 instead: a start that is not the steady state, for showing the check can fail."""
    reps = reps or (4 if quick else 8)
    scenario = scenario or load_scenario()
    horizon, window = (100.0, (50.0, 100.0)) if quick else (120.0, (60.0, 120.0))
    ref = steady_census(scenario, reps, seed, horizon, window)
    census = InitialCensus(tier1_home=round(ref["home"].mean()), tier1_facility=round(ref["beds1"].mean()),
                           tier2=round(ref["beds2"].mean()), tier3=round(ref["beds3"].mean()), part_way=part_way)
    started = scenario.model_copy(update={"horizon_days": 60.0, "warmup_days": 0.0, "initial_census": census})

    def measure(r: RunResult) -> dict[str, float]:
        ts = r.timeseries
        out: dict[str, float] = {}
        for lo, hi in STEADY_BLOCKS:
            inside = ts[(ts["time"] >= lo) & (ts["time"] <= hi)]
            out |= {f"tier{t} {lo:g}-{hi:g}": float(inside[f"census_tier{t}"].mean()) for t in (1, 2, 3)}
        died = ts["deaths_waiting"].to_numpy()
        t = ts["time"].to_numpy()
        out["deaths waiting"] = died[(t > 0) & (t <= 10)].sum() / 10 - died[(t > 30) & (t <= 60)].sum() / 30
        return out

    m = measure_replications(started, reps, seed, measure)
    case = "steady start"
    k = _loose(quick)
    checks = [Check(case, f"census tier {t}, days {lo:g}-{hi:g}", 0.0, m[f"tier{t} {lo:g}-{hi:g}"].to_numpy(),
                    0.05 * k, ref[f"tier{t}"].to_numpy())
              for lo, hi in STEADY_BLOCKS for t in (1, 2, 3)]
    checks.append(Check(case, "deaths waiting/day, days 0-10 minus 30-60", 0.0, m["deaths waiting"].to_numpy(), 1.0 * k))
    return checks


# -- the whole table -------------------------------------------------------------------------------

CASES: dict[str, Callable[[bool], list[Check]]] = {
    "mmc": lambda quick: [c for load in MMC_LOADS for c in mmc(load, quick)],
    "erlang_b": lambda quick: [c for stay in ERLANG_B_STAYS for c in erlang_b_case(stay, quick)],
    "mginf": lambda quick: mginf(quick),
    "little": lambda quick: little(quick),
    "tandem": lambda quick: tandem(quick),
    "steady_start": lambda quick: steady_start(quick),
}
"""Case name → the checks it makes; `quick` gives shorter runs and looser precision (the tests)."""


def validate(cases: Iterable[str] | None = None, quick: bool = False,
             progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Run the named cases (default: all) and judge their checks as one family."""
    checks: list[Check] = []
    for name in cases or CASES:
        if progress is not None:
            progress(name)
        checks += CASES[name](quick)
    return judge(checks)


def format_table(table: pd.DataFrame) -> str:
    """The validation table as plain text: theory, simulated mean [95% interval], error, result."""
    def num(x: float) -> str:
        return f"{x:.4g}"

    cw = max([4, *table["case"].str.len()])
    qw = max([8, *table["quantity"].str.len()])
    head = f"{'case':<{cw}}  {'quantity':<{qw}} {'theory':>10} {'simulated [95% interval]':>30} {'error':>8} {'n':>3}  result"
    lines = [head, "-" * len(head)]
    for r in table.itertuples():
        sim = f"{num(r.mean)}" if r.exact else f"{num(r.mean)} [{num(r.ci_low)}, {num(r.ci_high)}]"
        err = f"{r.error:+.1%}" if r.theory and not r.exact else f"{r.error:+.2g}"
        theory = num(r.theory) + ("*" if r.theory_se else " ")
        lines.append(f"{r.case:<{cw}}  {r.quantity:<{qw}} {theory:>10} {sim:>30} {err:>8} {r.n:>3}  "
                     + ("pass" if r.passed else f"FAIL: {r.note}"))
    k = int((~table["exact"]).sum())
    lines.append(f"\n{int(table['passed'].sum())} of {len(table)} checks pass. Intervals are across n independent "
                 f"replications. A check passes when the theory lies inside its interval widened for {k} "
                 f"checks (Bonferroni, {1 - FAMILY_ALPHA:.0%} for the whole table) and the 95% interval is "
                 "within the check's precision.")
    if (table["theory_se"] > 0).any():
        lines.append("* the reference is itself simulated (an independent event loop; for the steady start, "
                     "runs from empty) with its own random numbers and n replications; its error is included.")
    if table["exact"].any():
        lines.append("Same random numbers: the reference replays flowsim's own draws, and must agree on every "
                     "replication to rounding (the worst is shown).")
    return "\n".join(lines)
