"""Fit a scenario's priors to what a city observed, by ABC-SMC (pyabc), into a posterior.

Likelihood-free: each candidate parameter set (drawn from the priors, then perturbed from the
previous generation's accepted sets) runs the model once over the targets' windows, and is kept
when its distance to the targets (`targets.distance`: root mean square of the standardised
gaps, 1 ≈ every target one uncertainty away) is below the generation's threshold, which falls
from one generation to the next. pyabc keeps every generation in a SQLite database in the
output folder as it finishes, so Ctrl-C loses only the generation under way and `resume`
continues from the last one saved.

The posterior's numbers depend on the order in which parallel workers finish (pyabc accepts the
first particles that pass), so a calibration is not bit-reproducible across executors; once
written, the posterior file makes every later answer reproducible.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd
import yaml

from .config import ConfigError, Scenario
from .options import RunKeywords, RunOptions, run_options
from .posterior import Posterior
from .priors import Prior
from .targets import Targets, distance, observe

DB = "calibration.db"
MANIFEST = "calibration.yaml"


@dataclass(frozen=True)
class Settings:
    """How hard ABC-SMC works: particles per generation, at most `generations` generations and
    `max_simulations` runs, stopping early once the threshold reaches `min_epsilon` or after
    the first generation to end past `max_minutes` of fitting; `predictive_draws` posterior draws
    for the predictive check."""

    population: int = 40
    generations: int = 6
    max_simulations: int = 800
    min_epsilon: float = 0.3
    predictive_draws: int = 20
    max_minutes: float = 30.0

    def __post_init__(self) -> None:
        checks = [("population", self.population, 4, 10_000), ("generations", self.generations, 1, 100),
                  ("max_simulations", self.max_simulations, 1, 10_000_000),
                  ("predictive_draws", self.predictive_draws, 2, 10_000)]
        for name, value, lo, hi in checks:
            if not lo <= value <= hi:
                raise ConfigError.at(name, f"must be between {lo} and {hi:,}", value)
        if not 0 <= self.min_epsilon <= 100 or math.isnan(self.min_epsilon):
            raise ConfigError.at("min_epsilon", "must be between 0 and 100", self.min_epsilon)
        if not 0.1 <= self.max_minutes <= 10_000 or math.isnan(self.max_minutes):
            raise ConfigError.at("max_minutes", "must be between 0.1 and 10,000", self.max_minutes)


QUICK = Settings(population=12, generations=3, max_simulations=100, min_epsilon=0.5, predictive_draws=6,
                 max_minutes=5.0)
"""Quick settings (the CLI's `calibrate --quick`): a few minutes on 2 cores; a rough posterior, to
try the targets file out."""


def calibration_scenario(scenario: Scenario, targets: Targets) -> Scenario:
    """The scenario run for the whole of the targets' windows, and no longer; no warm-up (the
    windows say which days count)."""
    return scenario.model_copy(update={"horizon_days": targets.horizon, "warmup_days": 0.0})


class Simulator:
    """One model evaluation for pyabc: parameter set → the targets' quantities (picklable)."""

    def __init__(self, scenario: Scenario, targets: Targets, fields: list[str]) -> None:
        self.scenario = scenario
        self.targets = targets
        self.fields = fields

    def values(self, pars: Any) -> dict[str, float]:
        return {f: float(pars[f"p{i}"]) for i, f in enumerate(self.fields)}

    def __call__(self, pars: Any) -> dict[str, float]:
        from .priors import apply
        from .simulation import run

        _quiet_worker()
        try:
            sc = apply(self.scenario, self.values(pars))
        except ConfigError:  # a combination the model cannot take (e.g. two shares above 1)
            return {k: float("nan") for k in self.targets.keys}
        replication = int(np.random.randint(0, 2**31 - 1))
        return observe(run(sc, replication=replication).timeseries, self.targets)


def _quiet_worker() -> None:
    """In a worker process, leave Ctrl-C to the main process (which saves and stops the workers),
    so that an interrupted calibration prints one line, not a traceback per worker."""
    import multiprocessing
    import signal
    import threading

    if multiprocessing.parent_process() is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Distance:
    def __init__(self, targets: Targets) -> None:
        self.targets = targets

    def __call__(self, x: dict, x0: dict) -> float:
        return distance(x, self.targets)


def _rv(prior: Prior) -> Any:
    """A pyabc random variable for a truncated prior."""
    from pyabc.random_variables import RVBase

    class TruncatedPrior(RVBase):
        def __init__(self, p: Prior) -> None:
            self.p = p

        def copy(self) -> TruncatedPrior:
            return TruncatedPrior(self.p)

        def rvs(self, *args: Any, **kwargs: Any) -> float:
            return float(self.p.ppf(np.random.uniform()))

        def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
            return float(self.p.pdf(x))

        def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
            return 0.0

        def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
            lo, hi = self.p._mass()
            return float(np.clip((self.p.frozen().cdf(x) - lo) / (hi - lo), 0, 1))

    return TruncatedPrior(prior)


def _sampler(options: RunOptions) -> tuple[Any, Any]:
    """A pyabc sampler for `options.executor`, and what to close after (a Dask client)."""
    from pyabc import sampler as samplers

    from .executors import Dask, ExecutorError, available_cores, check_executor

    executor, workers, scheduler = options.executor, options.workers, options.scheduler
    closer = None
    if executor == "serial":
        s: Any = samplers.SingleCoreSampler()
    elif executor == "processes":
        s = samplers.MulticoreEvalParallelSampler(n_procs=workers or available_cores())
    elif executor == "dask":
        check_executor("dask", workers, scheduler)
        dask = Dask(workers, scheduler)
        closer = dask
        s = samplers.DaskDistributedSampler(dask_client=dask._client, batch_size=1)
    else:
        raise ExecutorError.at("executor", "unknown executor (choose serial, processes, dask)", executor)
    s.show_progress = options.progress
    return s, closer


def _digest(scenario: Scenario, targets: Targets, settings: Settings, seed: int) -> str:
    from .store import model_fields

    text = json.dumps({"scenario": model_fields(scenario), "targets": targets.model_dump(mode="json"),
                       "priors": [p.model_dump(mode="json") for p in scenario.priors],
                       "population": settings.population, "seed": seed}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Calibration:
    """A fitted posterior and how it was reached."""

    posterior: Posterior
    priors: list[Prior]
    targets: Targets
    generations: pd.DataFrame
    """One row per generation: t, epsilon, particles, simulations (that generation)."""
    predictive: pd.DataFrame
    """One row per target: observed, posterior predictive 5/50/95%, gap, within."""
    predictive_runs: pd.DataFrame
    """One row per predictive draw: posterior_sample and each target's quantity."""
    simulations: int
    seconds: float
    resumed: bool = False
    settings: Settings = field(default_factory=Settings)

    @property
    def simulations_per_second(self) -> float:
        return self.simulations / self.seconds if self.seconds > 0 else float("nan")


def _prepare(scenario: Scenario, out: Path, resume: bool, overwrite: bool, digest: str) -> bool:
    """Refuse a folder holding another calibration; True if there is one to resume."""
    db, manifest = out / DB, out / MANIFEST
    if resume:
        if not db.exists():
            raise ConfigError.at("resume", f"no calibration in {out} ({DB} is missing)")
        old = yaml.safe_load(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
        if not isinstance(old, dict) or old.get("digest") != digest:
            raise ConfigError.at("resume", f"{out} holds a calibration of another config, targets or priors; "
                                 "use another `out`, or `overwrite=True` to start again")
        return True
    if db.exists():
        old = yaml.safe_load(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
        if not overwrite and not (isinstance(old, dict) and old.get("complete")):
            raise ConfigError.at("out", "holds an unfinished calibration; add `resume=True` to finish it, "
                                 "or `overwrite=True` to discard it", out)
        db.unlink()
    return False


def calibrate(scenario: Scenario, targets: Targets, out: str | Path, settings: Settings = Settings(), *,
              seed: int | None = None, options: RunOptions | None = None,
              **run: Unpack[RunKeywords]) -> Calibration:
    """Fit every prior of `scenario` to `targets` by ABC-SMC; the history goes to `out/calibration.db`.

    Returns the posterior (the last generation's weighted particles) and a posterior predictive
    check: `settings.predictive_draws` fresh runs, replication i with posterior draw i. Where it
    runs: `options` or its fields as keywords (`executor` by name); `out` is its store, which
    `resume` continues and `overwrite` discards."""
    import pyabc

    from .priors import check_values

    given = run.get("store", options.store if options is not None else None)
    if given is not None and Path(given) != Path(out):
        raise ConfigError.at("store", "calibrate keeps its history in `out`; give that alone", given)
    opts = run_options(options, {**run, "store": out})
    resume, overwrite, progress = opts.resume, opts.overwrite, opts.progress
    if not scenario.priors:
        raise ConfigError("priors: the scenario declares none; add a 'priors:' list to calibrate")
    check_values(scenario)
    started = time.perf_counter()
    seed = scenario.seed if seed is None else int(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    digest = _digest(scenario, targets, settings, seed)
    resuming = _prepare(scenario, out, resume, overwrite, digest)
    (out / MANIFEST).write_text(yaml.safe_dump({"digest": digest, "complete": False}), encoding="utf-8")
    fields = [p.field for p in scenario.priors]
    base = calibration_scenario(scenario, targets)
    prior = pyabc.Distribution(**{f"p{i}": _rv(p) for i, p in enumerate(scenario.priors)})
    sampler, closer = _sampler(opts)
    logging.getLogger("ABC").setLevel(logging.INFO if progress else logging.WARNING)
    if progress and not logging.getLogger("ABC").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("calibrate: %(message)s"))
        logging.getLogger("ABC").addHandler(handler)
        logging.getLogger("ABC").propagate = False
    np.random.seed(seed % 2**32)
    abc = pyabc.ABCSMC(Simulator(base, targets, fields), prior, _Distance(targets),
                       population_size=settings.population, sampler=sampler)
    url = f"sqlite:///{(out / DB).resolve()}"
    try:
        if resuming:
            history = abc.load(url, 1)
            done_t, done_sims = history.max_t + 1, history.total_nr_simulations
        else:
            history = abc.new(url, {k: 0.0 for k in targets.keys})
            done_t, done_sims = 0, 0
        left_t = settings.generations - done_t
        left_sims = settings.max_simulations - done_sims
        if left_t > 0 and left_sims > 0 and not _converged(history, settings):
            from datetime import timedelta

            history = abc.run(minimum_epsilon=settings.min_epsilon, max_nr_populations=left_t,
                              max_total_nr_simulations=settings.max_simulations,
                              max_walltime=timedelta(minutes=settings.max_minutes))
    except KeyboardInterrupt:
        import contextlib

        saved = 0
        with contextlib.suppress(Exception):  # nothing readable saved yet
            saved = pyabc.History(url, _id=1).max_t + 1
        from .replications import Interrupted

        raise Interrupted(f"{saved} generations are saved in {out / DB}: rerun with `resume=True` to go on") from None
    finally:
        if closer is not None:
            closer.close()
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    samples = pd.DataFrame({f: frame[f"p{i}"].to_numpy(float) for i, f in enumerate(fields)})
    posterior = Posterior(samples, weights, str(out / "posterior.parquet"))
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].rename(columns={"samples": "simulations", "particles": "particles"})
    gens = pops[["t", "epsilon", "particles", "simulations"]].reset_index(drop=True)
    fit_seconds = time.perf_counter() - started
    simulations = int(history.total_nr_simulations)
    runs, table = predictive_check(scenario, targets, posterior, settings.predictive_draws, seed=seed,
                                   options=dataclasses.replace(opts, store=None, resume=False, overwrite=False))
    (out / MANIFEST).write_text(yaml.safe_dump({"digest": digest, "complete": True}), encoding="utf-8")
    return Calibration(posterior, list(scenario.priors), targets, gens, table, runs,
                       simulations - (done_sims if resuming else 0), fit_seconds, resuming, settings)


def _converged(history: Any, settings: Settings) -> bool:
    if history.max_t < 0:
        return False
    pops = history.get_all_populations()
    return float(pops["epsilon"].iloc[-1]) <= settings.min_epsilon


def predictive_check(scenario: Scenario, targets: Targets, posterior: Posterior, draws: int, *, seed: int,
                     options: RunOptions | None = None,
                     **run: Unpack[RunKeywords]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fresh runs at `draws` posterior draws (replication i with draw i), each target's quantity
    read off each; the table gives, per target, the observed value or range, the 5%, 50% and 95%
    quantiles of the runs (a 90% posterior predictive interval: parameters and chance), the gap
    of the median from the observation (relative to the nearest observed value; 0 inside a range)
    and whether the interval meets the observation."""
    from .replications import replicate

    base = calibration_scenario(scenario, targets)
    reps = replicate(base, draws, seed=seed, timeseries=True, posterior=posterior, options=run_options(options, run))
    assert reps.timeseries is not None
    rows = []
    for r, ts in reps.timeseries.groupby("replication", sort=True):
        drawn = reps.table.loc[reps.table["replication"] == r, "posterior_sample"].iloc[0]
        rows.append({"replication": int(r), "posterior_sample": int(drawn), **observe(ts, targets)})
    runs = pd.DataFrame(rows)
    table = []
    for i, t in enumerate(targets.targets):
        key = targets.key(i)
        x = runs[key].to_numpy(float)
        lo, med, hi = (float(np.nanquantile(x, q)) for q in (0.05, 0.5, 0.95))
        nearest = min(max(med, t.low), t.high)
        a, b = targets.window_of(t)
        table.append({"target": key, "quantity": t.quantity, "window_start": a, "window_end": b,
                      "observed_low": t.low, "observed_high": t.high, "uncertainty": t.scale,
                      "predictive_p05": lo, "predictive_median": med, "predictive_p95": hi,
                      "gap": med / nearest - 1 if nearest else float("nan"),
                      "within": bool(hi >= t.low - t.scale and lo <= t.high + t.scale)})
    return runs, pd.DataFrame(table)


def summary(cal: Calibration) -> dict[str, Any]:
    """The posterior's YAML summary: per parameter its prior, source and weighted quantiles."""
    post = cal.posterior
    mean, q05, q50, q95 = post.mean(), post.quantile(0.05), post.quantile(0.5), post.quantile(0.95)
    sd = {c: float(np.sqrt(np.average((post.samples[c] - mean[c]) ** 2, weights=post.weights))) for c in post.fields}
    params = {}
    for p in cal.priors:
        f = p.field
        params[f] = {"prior": p.describe(), "source": p.source, "mean": mean[f], "sd": sd[f],
                     "p05": q05[f], "median": q50[f], "p95": q95[f],
                     "range_used": float((q95[f] - q05[f]) / (p.high - p.low))}
    last = cal.generations.iloc[-1] if len(cal.generations) else None
    return {
        "targets": cal.targets.name,
        "method": "ABC-SMC (pyabc), distance = RMS of the targets' standardised gaps",
        "particles": len(post.weights),
        "effective_sample_size": float(1 / np.sum(post.weights**2)),
        "generations": int(len(cal.generations)),
        "final_epsilon": float(last["epsilon"]) if last is not None else float("nan"),
        "simulations": int(cal.generations["simulations"].sum()),
        "parameters": params,
        "predictive_check": [
            {"target": r.target, "observed": [r.observed_low, r.observed_high],
             "predictive_90": [r.predictive_p05, r.predictive_p95], "median": r.predictive_median,
             "gap": r.gap} for r in cal.predictive.itertuples()],
    }


def write(cal: Calibration, out: str | Path) -> list[Path]:
    """posterior.parquet, posterior.yaml, generations.csv, predictive.csv, predictive.png,
    marginals.png (beside calibration.db)."""
    from .plots import save
    from .uncertainty_plots import marginals_plot, predictive_plot

    out = Path(out)
    paths = [cal.posterior.save(out / "posterior.parquet")]
    (out / "posterior.yaml").write_text(yaml.safe_dump(summary(cal), sort_keys=False, allow_unicode=True),
                                        encoding="utf-8")
    paths.append(out / "posterior.yaml")
    cal.generations.to_csv(out / "generations.csv", index=False)
    cal.predictive.to_csv(out / "predictive.csv", index=False)
    paths += [out / "generations.csv", out / "predictive.csv"]
    save(predictive_plot(cal.predictive, cal.targets.name), str(out / "predictive.png"))
    save(marginals_plot(cal.posterior, cal.priors), str(out / "marginals.png"))
    paths += [out / "predictive.png", out / "marginals.png"]
    return paths


def format_calibration(cal: Calibration) -> str:
    """The fit as plain text: generations, the posterior, the predictive check."""
    lines = [f"ABC-SMC on '{cal.targets.name}': {len(cal.generations)} generations, {cal.simulations:,} simulations "
             f"in {cal.seconds:.0f} s ({cal.simulations_per_second:.2f}/s)" + (" (resumed)" if cal.resumed else "")]
    for g in cal.generations.itertuples():
        lines.append(f"  generation {g.t}: threshold {g.epsilon:.3f} · {g.particles} accepted of {g.simulations} runs")
    post = cal.posterior
    q05, q50, q95 = post.quantile(0.05), post.quantile(0.5), post.quantile(0.95)
    lines.append("\nposterior (weighted): median [90% interval] within the prior range")
    width = max(len(p.field) for p in cal.priors)
    for p in cal.priors:
        f = p.field
        lines.append(f"  {f:<{width}}  {q50[f]:>10.4g} [{q05[f]:.4g}, {q95[f]:.4g}]   prior {p.describe()}")
    lines.append("\nposterior predictive check (90% interval: parameters and chance)")
    w = max(len(t) for t in cal.predictive["target"])
    lines.append(f"  {'target':<{w}}  {'observed':>15}  {'model median [90%]':>28}  {'gap':>6}")
    for r in cal.predictive.itertuples():
        obs = f"{r.observed_low:,.0f}" if r.observed_low == r.observed_high else \
            f"{r.observed_low:,.0f}–{r.observed_high:,.0f}"
        digits = 1 if r.predictive_median < 100 else 0
        model = f"{r.predictive_median:,.{digits}f} [{r.predictive_p05:,.{digits}f}, {r.predictive_p95:,.{digits}f}]"
        lines.append(f"  {r.target:<{w}}  {obs:>15}  {model:>28}  {r.gap:>+6.0%}")
    return "\n".join(lines)
