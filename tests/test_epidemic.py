"""Epidemic-driven demand: the SEIR and renewal curves keep the ODE's and the renewal equation's
known properties, the F0 stream follows them, the fit recovers a known R_t, bad parameters are
one line naming the field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flowsim import epidemic
from flowsim.arrivals import diagnosis_times
from flowsim.config import ConfigError, Delay, Intervention, Renewal, Seir, load_scenario
from flowsim.simulation import run
from flowsim.streams import Streams

from .conftest import base_config, scenario

SEIR = {"population": 1e6, "initial_infected": 20, "incubation_days": 3, "infectious_days": 5}


def seir(**changes) -> Seir:
    return Seir(**{**SEIR, "r0": 2.0, **changes})


def epidemic_changes(**seir_changes) -> dict:
    return {"arrivals": {"profile": "seir", "seir": {**SEIR, "doubling_days": 6, "detection_share": 0.5,
                                                      **seir_changes}}}


@pytest.mark.parametrize("doubling", [3.0, 5.0, 12.0])
@pytest.mark.parametrize("delay", [Delay(mean_days=0), Delay(mean_days=4.5, sd_days=2.0)])
def test_seir_early_growth_is_the_stated_doubling_time(doubling, delay):
    s = Seir(**{**SEIR, "population": 1e9}, doubling_days=doubling, immune_share=0.3, detection_share=0.4,
             diagnosis_delay=delay)
    curve = epidemic.seir_curve(s, [], 40)
    for column in ("infections", "diagnoses"):
        slope = np.polyfit(curve["day"], np.log(curve[column]), 1)[0]
        assert math.log(2) / slope == pytest.approx(doubling, rel=0.02)


@pytest.mark.parametrize("r0, immune", [(1.5, 0.0), (2.5, 0.0), (3.0, 0.4)])
def test_seir_final_size_relation(r0, immune):
    """Closed population: ln(S0/S∞) = R0 · (S0 + E0 + I0 − S∞) / N once the epidemic is over."""
    curve = epidemic.seir_curve(seir(r0=r0, immune_share=immune), [], 600)
    n = SEIR["population"]
    s0 = n * (1 - immune) - SEIR["initial_infected"]
    s_end = curve["susceptible"].iloc[-1]
    assert curve["infectious"].iloc[-1] < 1e-3
    assert math.log(s0 / s_end) == pytest.approx(r0 * (s0 + SEIR["initial_infected"] - s_end) / n, rel=1e-4)
    if immune == 0:  # the classic z = 1 − exp(−R0 z)
        z = 1 - s_end / n
        assert z == pytest.approx(1 - math.exp(-r0 * z), abs=1e-4)


def test_interventions_lower_the_curve_from_their_date_on():
    before = epidemic.seir_curve(seir(), [], 200)
    after = epidemic.seir_curve(seir(), [Intervention(day=30, effect=0.4, ramp_days=5)], 200)
    np.testing.assert_allclose(after["infections"][:30], before["infections"][:30], rtol=1e-6)
    peak = int(before["infections"].idxmax())
    assert (after["infections"][30:peak + 20] < before["infections"][30:peak + 20]).all()
    assert after["infections"].max() < 0.5 * before["infections"].max()
    assert after["infections"].sum() < before["infections"].sum()


def test_an_intervention_replaces_the_one_before():
    ivs = [Intervention(day=10, effect=0.5), Intervention(day=20, effect=0.0, ramp_days=4)]
    m = epidemic.transmission_multiplier(ivs, np.array([5, 10, 15, 20, 22, 24, 30]))
    np.testing.assert_allclose(m, [1, 0.5, 0.5, 0.5, 0.75, 1, 1])


def test_a_later_distancing_moves_the_peak_later_and_higher():
    early = epidemic.seir_curve(seir(), [Intervention(day=20, effect=0.45)], 250)
    late = epidemic.seir_curve(seir(), [Intervention(day=34, effect=0.45)], 250)
    assert late["infections"].max() > early["infections"].max()


def test_renewal_grows_at_the_rate_rt_implies_and_fit_recovers_it():
    r = Renewal(rt=1.3, cases_per_day=500)
    curve = epidemic.renewal_curve(r, [], 40, None)
    w = epidemic.delay_pmf(r.generation_interval, minimum=1)
    g = float(epidemic.growth_rate_from_r(1.3, w))
    assert curve[0] == pytest.approx(500, rel=1e-9)
    assert math.log(curve[30] / curve[10]) / 20 == pytest.approx(g, rel=1e-6)
    cases = np.random.default_rng(3).poisson(curve)
    fit = epidemic.estimate_rt(cases, 7, r.generation_interval).iloc[-1]
    assert fit["rt_lower"] < 1.3 < fit["rt_upper"]
    assert fit["growth_lower"] < g < fit["growth_upper"]


def test_cori_interval_covers_the_true_rt_about_95_percent_of_the_time():
    r = Renewal(rt=1.1, cases_per_day=40)
    curve = epidemic.renewal_curve(r, [], 30, None)
    rng = np.random.default_rng(11)
    hits = [epidemic.estimate_rt(rng.poisson(curve), 7, r.generation_interval).iloc[-1] for _ in range(200)]
    covered = np.mean([h["rt_lower"] < 1.1 < h["rt_upper"] for h in hits])
    assert 0.90 <= covered <= 0.99


def test_projection_band_contains_its_expectation_and_widens():
    r = Renewal(cases_per_day=1)
    history = epidemic.renewal_curve(Renewal(rt=1.2, cases_per_day=100), [], 30, None)
    proj = epidemic.project(r, history, [], 30)
    c = proj.curve
    assert (c["lower"] <= c["expected"]).all() and (c["expected"] <= c["upper"]).all()
    width = (c["upper"] - c["lower"]) / c["expected"]
    assert width.iloc[-1] > width.iloc[0]
    lowered = epidemic.project(r, history, [Intervention(day=10, effect=0.5)], 30).curve
    np.testing.assert_allclose(lowered["expected"][:10], c["expected"][:10])
    assert (lowered["expected"][11:] < c["expected"][11:]).all()


def test_growth_from_totals_inverts_an_exponential():
    r, days = 0.03, 9
    cumulative = 1000 / r  # daily rate 1,000 at the end, exponential since long ago
    window = cumulative * (1 - math.exp(-r * days))
    got_r, rate = epidemic.growth_from_totals(window, days, cumulative)
    assert got_r == pytest.approx(r) and rate == pytest.approx(1000)


def test_hanoi_omicron_preset_is_the_fit_to_the_reported_totals():
    s = load_scenario(presets=["omicron_fit"])
    r, rate = epidemic.growth_from_totals(20_400, 9, 69_400 + 40_040)
    w = epidemic.delay_pmf(s.arrivals.renewal.generation_interval, minimum=1)
    assert s.arrivals.renewal.rt == pytest.approx(epidemic.rt_from_growth(r, w), abs=0.002)
    assert s.arrivals.renewal.cases_per_day == pytest.approx(rate * math.exp(r / 2), rel=0.002)


@pytest.mark.parametrize("k", [None, 5.0])
def test_daily_counts_follow_the_curve_within_their_bands(k):
    changes = {**epidemic_changes(), "horizon_days": 60}
    if k is not None:
        changes["arrivals"]["overdispersion"] = k
    s = scenario(changes)
    expected = epidemic.expected_diagnoses(s.arrivals, 60)
    counts = np.array([np.bincount(diagnosis_times(s.arrivals, 60, Streams(1, i).rng("arrivals", "times"))
                                   .astype(int), minlength=60) for i in range(200)])
    assert np.abs(counts.mean(axis=0) / expected - 1).max() < 0.1 + 3 / np.sqrt(200 * expected.min())
    band = epidemic.arrivals_curve(s.arrivals, 60)
    inside = ((counts >= band["lower"].to_numpy()) & (counts <= band["upper"].to_numpy())).mean()
    assert 0.93 <= inside <= 0.995
    var = counts.var(axis=0)[-10:] / counts.mean(axis=0)[-10:]
    if k is None:
        assert np.median(var) == pytest.approx(1, abs=0.3)
    else:
        assert np.median(var) > 3


def test_hospital_levers_do_not_change_the_epidemic_arrivals():
    s = scenario({**epidemic_changes(), "horizon_days": 40})
    other = scenario({**epidemic_changes(), "horizon_days": 40, "capacity_scale.oxygen_beds": 0.5,
                      "routing.tier1_overflow": "queue"})
    a = run(s, seed=5, patients=True).patients
    b = run(other, seed=5, patients=True).patients
    np.testing.assert_array_equal(a["arrival"], b["arrival"])


def test_conservation_holds_under_an_epidemic_with_interventions():
    changes = {**epidemic_changes(), "horizon_days": 50, "risk_groups.0.p_deteriorate": 0.2,
               "risk_groups.0.p_die_tier2": 0.05, "waiting_hazard.tier2": 0.5}
    changes["arrivals"]["interventions"] = [{"day": 20, "effect": 0.5, "ramp_days": 5}]
    changes["arrivals"]["overdispersion"] = 10
    s = run(scenario(changes), seed=2).summary
    assert s["arrivals"] > 0
    assert s["arrivals"] + s["initial_census"] == s["recovered"] + s["died"] + s["in_system_end"]


def test_rt_sd_gives_each_replication_its_own_curve_shared_across_scenarios():
    a = {"profile": "renewal", "renewal": {"rt": 1.2, "rt_sd": 0.1, "cases_per_day": 30}}
    s = scenario({"arrivals": a})
    n = [len(diagnosis_times(s.arrivals, 30, Streams(1, i).rng("arrivals", "times"))) for i in range(30)]
    assert np.std(n) > 3 * np.sqrt(np.mean(n))  # far wider than Poisson noise alone
    again = [len(diagnosis_times(s.arrivals, 30, Streams(1, i).rng("arrivals", "times"))) for i in range(30)]
    assert n == again


def test_renewal_fitted_to_a_csv_history(tmp_path):
    history = np.random.default_rng(0).poisson(epidemic.renewal_curve(Renewal(rt=1.15, cases_per_day=40),
                                                                      [], 28, None))
    path = tmp_path / "cases.csv"
    path.write_text("day,cases\n" + "\n".join(f"{d},{c}" for d, c in enumerate(history)))
    data = base_config()
    data["arrivals"] = {"profile": "renewal", "csv": str(path), "renewal": {}}
    s = scenario(data=data)
    fitted = epidemic.renewal_rt(s.arrivals.renewal, s.arrivals.daily_cases)
    last = epidemic.estimate_rt(history, 7, s.arrivals.renewal.generation_interval).iloc[-1]
    assert fitted == pytest.approx(last["rt_mean"]) and last["rt_lower"] < 1.15 < last["rt_upper"]
    expected = epidemic.expected_diagnoses(s.arrivals, 30)
    w = epidemic.delay_pmf(s.arrivals.renewal.generation_interval, 1)
    assert expected[0] == pytest.approx(fitted * np.dot(history[::-1][: len(w) - 1], w[1:]), rel=1e-9)


@pytest.mark.parametrize("change, field", [
    ({"incubation_days": -2}, "arrivals.seir.incubation_days"),
    ({"infectious_days": 0}, "arrivals.seir.infectious_days"),
    ({"doubling_days": None, "r0": 0}, "arrivals.seir.r0"),
    ({"doubling_days": None, "r0": 80}, "arrivals.seir.r0"),
    ({"r0": 2}, "arrivals.seir"),
    ({"immune_share": 1.0}, "arrivals.seir.immune_share"),
    ({"detection_share": 0}, "arrivals.seir.detection_share"),
    ({"initial_infected": 2e6}, "arrivals.seir"),
    ({"population": float("inf")}, "arrivals.seir.population"),
    ({"diagnosis_delay": {"mean_days": -1}}, "arrivals.seir.diagnosis_delay.mean_days"),
])
def test_bad_seir_parameters_name_the_field(change, field):
    with pytest.raises(ConfigError) as info:
        scenario(epidemic_changes(**change))
    message = str(info.value)
    assert message.startswith(field + ":") and "\n" not in message


@pytest.mark.parametrize("interventions, field", [
    ([{"day": 45, "effect": 0.3}], "arrivals.interventions[0].day"),
    ([{"day": -1, "effect": 0.3}], "arrivals.interventions[0].day"),
    ([{"day": 5, "effect": 1.5}], "arrivals.interventions[0].effect"),
    ([{"day": 5, "effect": 0.3, "ramp_days": -2}], "arrivals.interventions[0].ramp_days"),
    ([{"day": 10, "effect": 0.3}, {"day": 5, "effect": 0}], "arrivals"),
])
def test_bad_interventions_name_the_field(interventions, field):
    changes = epidemic_changes()
    changes["arrivals"]["interventions"] = interventions
    with pytest.raises(ConfigError) as info:
        scenario(changes)
    assert str(info.value).startswith(field + ":")


def test_interventions_need_an_epidemic_profile():
    with pytest.raises(ConfigError, match="^arrivals: interventions need an epidemic profile"):
        scenario({"arrivals.interventions": [{"day": 5, "effect": 0.3}]})


def test_renewal_without_rt_or_history_is_refused():
    with pytest.raises(ConfigError, match="^arrivals: profile 'renewal' needs 'renewal.rt'"):
        scenario({"arrivals": {"profile": "renewal", "renewal": {"cases_per_day": 10}}})


def test_fit_command_prints_rt_with_its_interval_and_writes_the_projection(tmp_path, capsys):
    from flowsim.cli import main

    history = np.random.default_rng(4).poisson(epidemic.renewal_curve(Renewal(rt=1.2, cases_per_day=60), [], 30, None))
    path = tmp_path / "cases.csv"
    path.write_text("day,cases\n" + "\n".join(f"{d},{c}" for d, c in enumerate(history)))
    assert main(["fit", str(path), "--days", "20", "--intervention", "5:0.3:2", "--out", str(tmp_path / "fit")]) == 0
    out = capsys.readouterr().out
    assert "R_t 1." in out and "95% credible interval" in out and "doubling" in out
    proj = __import__("pandas").read_csv(tmp_path / "fit" / "projection.csv")
    assert len(proj) == 20 and (proj["lower"] <= proj["upper"]).all()
    assert (tmp_path / "fit" / "projection.png").stat().st_size > 0


@pytest.mark.parametrize("argv, message", [
    (["run", "--doubling-days", "5"], "--doubling-days: needs epidemic-driven arrivals"),
    (["run", "--preset", "omicron_fit", "--distancing", "120:0.3"], "arrivals.interventions[0].day: 120 is not within"),
    (["run", "--preset", "omicron_fit", "--rt", "99"], "--rt must be between"),
    (["fit", "missing.csv"], "cases: file not found"),
])
def test_bad_epidemic_flags_are_one_line_exit_2(argv, message, capsys):
    from flowsim.cli import main

    try:
        code = main([*argv, "--days", "60"] if argv[0] == "run" else argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_cli_levers_move_the_epidemic():
    from flowsim.cli import parser, scenario_from_args

    args = parser().parse_args(["run", "--preset", "omicron_fit", "--rt", "1.2", "--distancing", "14:0.4:7",
                                "--detection-share", "0.5"])
    s = scenario_from_args(args)
    assert s.arrivals.renewal.rt == 1.2 and s.arrivals.renewal.detection_share == 0.5
    assert s.arrivals.interventions[0].model_dump() == {"day": 14, "effect": 0.4, "ramp_days": 7, "label": ""}
    slower = scenario_from_args(parser().parse_args(["run", "--preset", "omicron_fit", "--doubling-days", "60"]))
    assert 1 < slower.arrivals.renewal.rt < 1.085


def test_a_case_history_given_to_the_hanoi_fit_is_fitted_again():
    import yaml

    from flowsim import levers
    from flowsim.config import build, to_yaml

    history = np.random.default_rng(1).poisson(epidemic.renewal_curve(Renewal(rt=1.2, cases_per_day=2000), [], 21,
                                                                      None))
    data = levers.with_history(yaml.safe_load(to_yaml(load_scenario(presets=["omicron_fit"]))), list(history))
    s = build(data)
    assert s.arrivals.renewal.rt is None
    fit = epidemic.estimate_rt(history, 7, s.arrivals.renewal.generation_interval).iloc[-1]
    assert levers.current(s)["rt"] == pytest.approx(fit["rt_mean"]) and fit["rt_lower"] < 1.2 < fit["rt_upper"]
    with pytest.raises(ConfigError, match="needs the renewal profile"):
        levers.with_history(yaml.safe_load(to_yaml(load_scenario())), list(history))
