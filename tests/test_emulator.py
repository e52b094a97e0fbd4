"""The emulator: trained on a sweep's replications, honest about its held-out accuracy (points set
aside are never used in training), and only trusted inside the box it saw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

from flowsim import emulator  # noqa: E402
from flowsim.errors import ConfigError  # noqa: E402


def sweep_like(noise: float = 1.0, seed: int = 1) -> pd.DataFrame:
    """A sweep table: a smooth response in two factors, 4 replications per grid point."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in np.linspace(0.5, 2.0, 6):
        for b in (1000.0, 2000.0, 3000.0, 4000.0):
            for rep in range(4):
                truth = 50 / a + b / 100
                rows.append({"capacity_scale.icu_beds": a, "arrivals.rate_per_day": b, "replication": rep,
                             "died": truth + rng.normal(0, noise), "flat": 1.0})
    return pd.DataFrame(rows)


FACTORS = ["capacity_scale.icu_beds", "arrivals.rate_per_day"]


def test_held_out_points_are_never_used_in_training():
    table = sweep_like()
    emu, accuracy = emulator.held_out(table, FACTORS, ["died"], share=0.25, seed=3)
    every = {tuple(map(float, r)) for r in table[FACTORS].drop_duplicates().to_numpy()}
    trained = set(emu.trained_on)
    held = every - trained
    assert len(held) == accuracy["points"].iloc[0] == round(0.25 * len(every))
    assert not held & trained
    assert accuracy["replications"].iloc[0] == 4 * len(held)  # coverage counts the held-out replications only


def test_coverage_is_near_95_percent_and_the_error_small_on_a_smooth_response():
    covered = []
    for seed in range(4):
        _, accuracy = emulator.held_out(sweep_like(seed=seed), FACTORS, ["died"], share=0.25, seed=seed)
        covered.append(accuracy["coverage"].iloc[0])
        assert accuracy["relative_error"].iloc[0] < 0.3
    assert 0.8 <= np.mean(covered) <= 1.0


def test_a_bad_emulator_is_caught_by_its_held_out_coverage(monkeypatch):
    """Coverage is measured on the held-out replications, not assumed: an emulator trained on the
    wrong answers (every figure 100 too high) covers almost none of them."""
    table = sweep_like()
    fit = emulator.fit
    monkeypatch.setattr(emulator, "fit", lambda t, *a, **k: fit(t.assign(died=t["died"] + 100), *a, **k))
    _, accuracy = emulator.held_out(table, FACTORS, ["died"], seed=1)
    assert accuracy["coverage"].iloc[0] < 0.2 and accuracy["mean_abs_error"].iloc[0] > 50


def test_it_says_when_a_setting_is_outside_what_it_was_trained_on():
    emu = emulator.fit(sweep_like(), FACTORS, ["died"])
    assert emu.inside({"capacity_scale.icu_beds": 1.0, "arrivals.rate_per_day": 2500}) == []
    assert emu.inside({"capacity_scale.icu_beds": 3.0, "arrivals.rate_per_day": 2500}) == ["capacity_scale.icu_beds"]


def test_flat_figures_are_left_out_and_bad_factors_refused():
    emu = emulator.fit(sweep_like(), FACTORS, ["died", "flat"])
    assert emu.figures == ["died"]
    with pytest.raises(ConfigError, match="routing.policy"):
        emulator.fit(sweep_like().assign(**{"routing.policy": "designated"}), ["routing.policy"], ["died"])


def test_a_saved_emulator_loads_back(tmp_path):
    emu = emulator.fit(sweep_like(), FACTORS, ["died"])
    back = emulator.load(emu.save(tmp_path / "e.pkl"))
    point = pd.DataFrame([{"capacity_scale.icu_beds": 1.2, "arrivals.rate_per_day": 2200.0}])
    assert back.predict(point)["mean"].iloc[0] == pytest.approx(emu.predict(point)["mean"].iloc[0])


def test_flowsim_emulate_reports_held_out_accuracy_and_saves_the_emulator(tmp_path, capsys):
    from flowsim import cli

    out = tmp_path / "emu"
    code = cli.main(["emulate", str(out), "town", "--days", "10", "--vary", "capacity_scale.icu_beds=0.5,1,1.5,2",
                     "--vary", "arrivals.rate_per_day=15,30", "--replications", "2", "--figure", "died",
                     "--figure", "peak_tier2", "--executor", "serial", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "never used in training" in printed and "coverage of 95% band" in printed
    accuracy = pd.read_csv(out / "held_out.csv")
    assert set(accuracy["figure"]) <= {"died", "peak_tier2"} and (accuracy["points"] == 2).all()
    emu = emulator.load(out / "emulator.pkl")
    assert len(emu.trained_on) == 8 and emu.factors == ["capacity_scale.icu_beds", "arrivals.rate_per_day"]
    assert (out / "sweep").exists()  # the sweep is kept in the experiment store


@pytest.mark.parametrize(("stem", "rate"), [("hanoi", 2270.0), ("town", 25.0)])
def test_the_shipped_emulators_load_cover_their_scenario_and_were_checked_on_held_out_points(stem, rate):
    from importlib import resources
    from pathlib import Path

    folder = Path(str(resources.files("flowsim") / "_emulators"))
    emu = emulator.load(folder / f"{stem}.pkl")
    default = {"arrivals.rate_per_day": rate, "capacity_scale.oxygen_beds": 1.0, "capacity_scale.icu_beds": 1.0}
    assert emu.inside(default) == []  # the opening setting is inside the box it was trained on
    pred = emu.predict(pd.DataFrame([default]))
    assert {"died", "died_waiting"} <= set(pred["figure"]) and (pred["upper"] >= pred["lower"]).all()
    accuracy = pd.read_csv(folder / f"{stem}_held_out.csv")
    assert (accuracy["points"] >= 8).all() and (accuracy["coverage"] >= 0.8).all()
