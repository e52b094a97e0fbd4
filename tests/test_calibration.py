"""Priors, targets, posteriors, calibration and sensitivity, as a planner meets them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from flowsim.calibration import Settings, calibrate
from flowsim.cli import main
from flowsim.config import ConfigError, build, load_scenario
from flowsim.experiments import compare, variant
from flowsim.posterior import Posterior, load
from flowsim.replications import replicate
from flowsim.simulation import run
from flowsim.targets import observe, parse_targets

from .conftest import base_config

PRIORS = [{"field": "arrivals.rate_per_day", "range": [20, 80]},
          {"field": "risk_groups.all.p_deteriorate", "range": [0.02, 0.4], "dist": "beta", "alpha": 1.5, "beta": 2}]


def small(**changes) -> dict:
    data = base_config()
    data["risk_groups"][0].update(p_deteriorate=0.15, p_escalate=0.2)
    data["horizon_days"] = 30
    data["priors"] = PRIORS
    data.update(changes)
    return data


# -- priors: one line naming the field ----------------------------------------------------------

@pytest.mark.parametrize(("prior", "message"), [
    ({"field": "risk_groups.all.p_deteriorat", "range": [0, 0.5]},
     "priors[0] (risk_groups.all.p_deteriorat).field: unknown field 'risk_groups.all.p_deteriorat'"),
    ({"field": "risk_groups.all.p_deteriorate", "range": [0.1, 1.5]},
     "priors[0] (risk_groups.all.p_deteriorate).range: [0.1, 1.5] leaves the field's bounds (it must be a "
     "probability, within [0, 1])"),
    ({"field": "clinical.tier2_stay", "range": [1, 2]},
     "priors[0] (clinical.tier2_stay).field: 'clinical.tier2_stay' is not a number"),
    ({"field": "arrivals.rate_per_day", "range": [20, 80], "dist": "normal", "mean": 50},
     "priors[0]: dist 'normal' needs 'sd'"),
    ({"field": "arrivals.rate_per_day", "range": [80, 20]}, "priors[0]: range: low (80) must be below high (20)"),
])
def test_a_bad_prior_is_one_line_naming_it(prior: dict, message: str):
    with pytest.raises(ConfigError) as err:
        build(small(priors=[prior]))
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_prior_that_excludes_the_config_stops_calibrate_and_sensitivity_not_a_plain_run(tmp_path: Path, capsys):
    config, targets = tmp_path / "c.yaml", tmp_path / "t.yaml"
    config.write_text(yaml.safe_dump(small(priors=[{"field": "arrivals.rate_per_day", "range": [60, 80]},
                                                   PRIORS[1]])))
    targets.write_text(yaml.safe_dump({"window": [5, 10], "targets": [{"quantity": "census_tier1", "value": 3}]}))
    line = "priors[0] (arrivals.rate_per_day).range: [60, 80] excludes the config's value 50"
    for argv in (["calibrate", str(config), "--targets", str(targets)], ["sensitivity", str(config)]):
        assert main([*argv, "--out", str(tmp_path / "o"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert line in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
    build(small(priors=[{"field": "arrivals.rate_per_day", "range": [60, 80]}]))  # a plain run ignores priors


def test_a_bad_prior_stops_the_cli_before_any_work(tmp_path: Path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(small(priors=[{"field": "home.antiviral_efficacy", "range": [0.5, 1.2]}])))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "priors[0] (home.antiviral_efficacy).range" in err
    assert not (tmp_path / "out").exists()


def test_the_hanoi_priors_hold_the_scenario_and_come_from_the_facts():
    sc = load_scenario()
    fields = {p.field: p for p in sc.priors}
    assert fields["arrivals.rate_per_day"].range == (2267, 2914)  # the two readings of 20,400 a week
    assert fields["clinical.hospital_stay_multiplier"].range == (0.6, 0.7)
    assert all(p.source for p in sc.priors)


def test_truncated_priors_stay_in_their_range_and_follow_their_shape():
    sc = build(small(priors=[{"field": "arrivals.rate_per_day", "range": [20, 80], "dist": "normal",
                              "mean": 30, "sd": 10}]))
    p = sc.priors[0]
    x = p.sample(np.random.default_rng(1), 20_000)
    assert x.min() >= 20 and x.max() <= 80
    assert np.mean(x < 40) > 0.6  # most of the mass near the mean, not spread uniformly
    assert p.pdf(19.9) == 0 and p.pdf(30) > p.pdf(70)


# -- targets ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "message"), [
    ({"window": [5, 10], "targets": [{"quantity": "census_tier9", "value": 1}]},
     "targets.yaml: targets[0].quantity: unknown quantity 'census_tier9'"),
    ({"window": [5, 10], "targets": [{"quantity": "census_tier1", "value": 1, "range": [1, 2]}]},
     "targets.yaml: targets[0]: give either 'value' or 'range'"),
    ({"targets": [{"quantity": "census_tier1", "value": 1}]},
     "targets.yaml: targets[0] (census_tier1).window: no window, and the file gives none"),
    ({"window": [5, 10], "targets": [{"quantity": "census_tier1", "value": -3}]},
     "targets.yaml: targets[0].value: Input should be greater than or equal to 0"),
    ({"window": [5, 10], "targets": [{"quantity": "census_tier1", "value": 3, "uncertainty": 0}]},
     "targets.yaml: targets[0].uncertainty: Input should be greater than 0"),
])
def test_a_bad_target_is_one_line_naming_it(data: dict, message: str):
    with pytest.raises(ConfigError) as err:
        parse_targets(data, "targets.yaml")
    assert str(err.value).startswith(message)


def test_calibrate_refuses_bad_targets_before_any_work(tmp_path: Path, capsys):
    config, targets = tmp_path / "c.yaml", tmp_path / "t.yaml"
    config.write_text(yaml.safe_dump(small()))
    targets.write_text(yaml.safe_dump({"window": [5, 10], "targets": [{"quantity": "beds", "value": 3}]}))
    assert main(["calibrate", str(config), "--targets", str(targets), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "t.yaml: targets[0].quantity: unknown quantity 'beds'" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_targets_read_the_census_as_the_report_counts():
    sc = build(small())
    ts = run(sc, seed=1).timeseries
    t = parse_targets({"window": [10, 30], "targets": [
        {"quantity": "census_tier1_by_facility", "value": 1}, {"quantity": "arrivals_per_day", "value": 1},
        {"quantity": "time_in_care_days", "value": 1}]})
    got = observe(ts, t)
    inside = ts[(ts["time"] >= 10) & (ts["time"] <= 30)]
    assert got["census_tier1_by_facility (days 10-30)"] == pytest.approx(inside["census_tier1_by_facility"].mean())
    assert got["arrivals_per_day (days 10-30)"] == pytest.approx(50, rel=0.15)
    total = inside[["census_tier1", "census_tier2", "census_tier3"]].sum(axis=1).mean()
    assert got["time_in_care_days (days 10-30)"] == pytest.approx(total / got["arrivals_per_day (days 10-30)"])


# -- posterior ----------------------------------------------------------------------------------

def _posterior() -> Posterior:
    return Posterior(pd.DataFrame({"arrivals.rate_per_day": [30.0, 50.0, 70.0],
                                   "risk_groups.all.p_deteriorate": [0.05, 0.15, 0.3]}), np.array([1.0, 2.0, 1.0]))


def test_a_posterior_file_round_trips(tmp_path: Path):
    post = _posterior()
    back = load(post.save(tmp_path / "posterior.parquet"))
    pd.testing.assert_frame_equal(back.samples, post.samples)
    np.testing.assert_allclose(back.weights, [0.25, 0.5, 0.25])
    assert back.digest == post.digest
    assert [back.index_for(7, i) for i in range(20)] == [post.index_for(7, i) for i in range(20)]


def test_a_bad_posterior_file_is_one_line_naming_the_column(tmp_path: Path):
    sc = build(small())
    bad = Posterior(pd.DataFrame({"risk_groups.all.p_escalat": [0.1]}), np.ones(1), "p.parquet")
    with pytest.raises(ConfigError, match=r"column 'risk_groups.all.p_escalat': unknown field"):
        replicate(sc, 2, executor="serial", posterior=bad)
    outside = Posterior(pd.DataFrame({"arrivals.rate_per_day": [90.0]}), np.ones(1), "p.parquet")
    with pytest.raises(ConfigError, match=r"leaves the scenario's prior range \[20, 80\]"):
        replicate(sc, 2, executor="serial", posterior=outside)
    (tmp_path / "x.parquet").write_text("not parquet")
    with pytest.raises(ConfigError, match="cannot read it as Parquet"):
        load(tmp_path / "x.parquet")


def test_posterior_keeps_common_random_numbers_across_scenarios():
    sc = build(small())
    more = variant(sc, {"facilities.Hospital S.beds.tier2": 30})
    post = _posterior()
    comp = compare({"base": sc, "more beds": more}, 6, seed=3, executor="serial", posterior=post)
    table = comp.replications.table
    a = table[table["scenario"] == "base"].set_index("replication")
    b = table[table["scenario"] == "more beds"].set_index("replication")
    assert (a["posterior_sample"] == b["posterior_sample"]).all()
    assert a["posterior_sample"].nunique() > 1  # the parameters do vary between replications
    assert (a["arrivals"] == b["arrivals"]).all()  # the same patients: the same parameters and streams
    # replication i is exactly the run of the scenario set to posterior draw i
    for i in (0, 3):
        values = post.values(3, i)
        direct = run(variant(sc, values), seed=3, replication=i).summary
        assert direct["arrivals"] == a.loc[i, "arrivals"] and direct["died"] == a.loc[i, "died"]
    # the draw for replication i does not depend on how many replications run
    again = replicate(sc, 3, seed=3, executor="serial", posterior=post).table
    assert list(again["posterior_sample"]) == list(a["posterior_sample"].iloc[:3])


def test_run_posterior_says_what_the_intervals_cover(tmp_path: Path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(small(horizon_days=10)))
    path = _posterior().save(tmp_path / "posterior.parquet")
    assert main(["run", str(config), "--posterior", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "--posterior: needs --replications" in capsys.readouterr().err
    assert main(["run", str(config), "--posterior", str(path), "--replications", "3", "--executor", "serial",
                 "--out", str(tmp_path / "o"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "cover what is not known about these parameters as well as chance" in out
    assert "posterior_sample" in pd.read_csv(tmp_path / "o" / "summary.csv").columns


# -- calibration --------------------------------------------------------------------------------

def _truth_targets(sc, truth: dict, window=(15, 30)) -> dict:
    """Targets simulated from a known parameter set (mean of 4 replications), with 5% uncertainty."""
    known = variant(sc, truth)
    names = ["census_tier1_by_facility", "census_tier2_by_facility"]
    t = parse_targets({"window": list(window), "targets": [{"quantity": q, "value": 1} for q in names]})
    got = [observe(run(known, seed=11, replication=i).timeseries, t) for i in range(4)]
    values = {k: float(np.mean([g[k] for g in got])) for k in got[0]}
    return {"name": "simulated", "window": list(window), "targets": [
        {"quantity": q, "value": round(values[f"{q} (days {window[0]}-{window[1]})"], 2),
         "uncertainty": round(0.05 * values[f"{q} (days {window[0]}-{window[1]})"], 2)} for q in names]}


@pytest.mark.slow
def test_calibration_recovers_known_parameters(tmp_path: Path):
    sc = build(small())
    truth = {"arrivals.rate_per_day": 40.0, "risk_groups.all.p_deteriorate": 0.12}
    targets = parse_targets(_truth_targets(sc, truth))
    cal = calibrate(sc, targets, tmp_path, Settings(population=40, generations=5, max_simulations=1500,
                                                    min_epsilon=0.3, predictive_draws=6), executor="serial")  # serial: the same particles every run
    lo, hi = cal.posterior.quantile(0.025), cal.posterior.quantile(0.975)
    for field, value in truth.items():
        assert lo[field] <= value <= hi[field], (field, lo[field], hi[field])
    width = hi["arrivals.rate_per_day"] - lo["arrivals.rate_per_day"]
    assert width < 0.5 * (80 - 20)  # the data narrowed the prior, not just covered the truth
    assert cal.predictive["within"].all()


@pytest.mark.slow
def test_calibrate_writes_a_posterior_that_runs_and_resumes(tmp_path: Path, capsys):
    config, targets, out = tmp_path / "c.yaml", tmp_path / "t.yaml", tmp_path / "cal"
    config.write_text(yaml.safe_dump(small(horizon_days=20)))
    sc = build(small())
    targets.write_text(yaml.safe_dump(_truth_targets(sc, {"arrivals.rate_per_day": 40.0}, window=(8, 16))))
    common = ["calibrate", str(config), "--targets", str(targets), "--out", str(out), "--population", "6",
              "--predictive-draws", "2", "--executor", "serial", "--quiet"]
    assert main([*common, "--generations", "1"]) == 0
    assert main([*common, "--generations", "1"]) == 0  # a finished calibration may be replaced
    assert main([*common, "--generations", "2", "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "(resumed)" in printed and "generation 1:" in printed
    for name in ("posterior.parquet", "posterior.yaml", "predictive.csv", "predictive.png", "marginals.png"):
        assert (out / name).stat().st_size > 0, name
    summary = yaml.safe_load((out / "posterior.yaml").read_text())
    assert summary["generations"] == 2
    assert set(summary["parameters"]) == {p["field"] for p in PRIORS}
    post = load(out / "posterior.parquet")
    assert set(post.fields) == {p["field"] for p in PRIORS}
    assert post.samples["arrivals.rate_per_day"].between(20, 80).all()
    assert main(["run", str(config), "--posterior", str(out / "posterior.parquet"), "--replications", "2",
                 "--executor", "serial", "--out", str(tmp_path / "run"), "--quiet"]) == 0


# -- sensitivity --------------------------------------------------------------------------------

def test_sensitivity_finds_the_parameter_that_moves_a_figure(tmp_path: Path):
    from flowsim.sensitivity import sensitivity

    sc = build(small(horizon_days=15))
    result = sensitivity(sc, ["arrivals", "peak_tier2"], trajectories=3, executor="serial")
    arrivals = result.table[result.table["figure"] == "arrivals"].set_index("parameter")
    # arrivals depend on the arrival rate alone (their stream is apart from the clinical course)
    assert arrivals.loc["arrivals.rate_per_day", "mu_star"] > 500
    assert arrivals.loc["risk_groups.all.p_deteriorate", "mu_star"] == 0
    assert len(result.points) == 3 * (len(PRIORS) + 1)
    assert result.points["risk_groups.all.p_deteriorate"].between(0.02, 0.4).all()
