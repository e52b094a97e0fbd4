"""Who the F0 are: attributes drawn at diagnosis, and each patient's own random numbers.

Every attribute is one vectorised draw from its own stream. Decisions are taken during the run,
when they happen, by comparing a patient's uniform with a probability that depends on the state
then (placement, antiviral, waiting); durations are the patient's own variates. A policy change
therefore changes what happens to a patient, never which random numbers they hold.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .config import Scenario
from .streams import Streams


@dataclass
class Cohort:
    """Per-patient arrays, index = patient id. Durations in days, already scaled by stay_multiplier."""

    arrival: np.ndarray
    district: np.ndarray
    group: np.ndarray
    vaccinated: np.ndarray
    severity: np.ndarray
    home_eligible: np.ndarray
    u_antiviral: np.ndarray
    u_deteriorate: np.ndarray
    u_tier2: np.ndarray
    u_tier3: np.ndarray
    u_convalescence: np.ndarray
    u_monitor: np.ndarray
    waiting_budget: np.ndarray
    """Standard exponential: a patient dies waiting when the cumulative waiting hazard reaches it."""
    tier1_stay: np.ndarray
    time_to_deterioration: np.ndarray
    tier2_stay: np.ndarray
    time_to_escalation: np.ndarray
    tier3_stay: np.ndarray
    step_down_stay: np.ndarray
    convalescence_stay: np.ndarray
    detection_delay: np.ndarray
    late_detection_delay: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival)

    @staticmethod
    def concat(a: Cohort, b: Cohort) -> Cohort:
        return Cohort(**{f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Cohort)})


def draw(scenario: Scenario, arrival: np.ndarray, district: np.ndarray, streams: Streams,
         purpose: str = "clinical") -> Cohort:
    """Draw the attributes and course variates of F0 diagnosed at `arrival` in `district`."""
    n = len(arrival)
    groups = scenario.risk_groups
    c = scenario.clinical
    k = c.stay_multiplier

    def rng(item: str) -> np.random.Generator:
        return streams.rng(purpose, item)

    share = np.array([g.share for g in groups])
    group = rng("group").choice(len(groups), size=n, p=share / share.sum()).astype(np.int8)
    vacc_p = np.array([g.vaccinated for g in groups])[group]
    vaccinated = rng("vaccinated").random(n) < vacc_p
    p2 = np.array([g.p_tier2_at_diagnosis for g in groups])[group]
    p3 = np.array([g.p_tier3_at_diagnosis for g in groups])[group]
    u = rng("severity").random(n)
    severity = np.where(u < p3, 3, np.where(u < p3 + p2, 2, 1)).astype(np.int8)
    home_p = np.array([g.home_share for g in groups])[group]
    home_eligible = rng("home").random(n) < home_p
    return Cohort(
        arrival=np.asarray(arrival, float),
        district=np.asarray(district, np.int32),
        group=group,
        vaccinated=vaccinated,
        severity=severity,
        home_eligible=home_eligible,
        u_antiviral=rng("antiviral").random(n),
        u_deteriorate=rng("deteriorate").random(n),
        u_tier2=rng("tier2_outcome").random(n),
        u_tier3=rng("tier3_outcome").random(n),
        u_convalescence=rng("convalescence").random(n),
        u_monitor=rng("monitor").random(n),
        waiting_budget=rng("waiting").standard_exponential(n),
        tier1_stay=k * c.tier1_stay.sample(rng("tier1_stay"), n),
        time_to_deterioration=k * c.time_to_deterioration.sample(rng("deterioration_time"), n),
        tier2_stay=k * c.tier2_stay.sample(rng("tier2_stay"), n),
        time_to_escalation=k * c.time_to_escalation.sample(rng("escalation_time"), n),
        tier3_stay=k * c.tier3_stay.sample(rng("tier3_stay"), n),
        step_down_stay=k * c.step_down_stay.sample(rng("step_down_stay"), n),
        convalescence_stay=k * c.convalescence_stay.sample(rng("convalescence_stay"), n),
        detection_delay=k * scenario.home.detection_delay.sample(rng("detection"), n),
        late_detection_delay=k * scenario.home.late_detection_delay.sample(rng("late_detection"), n),
    )


def progression_probability(scenario: Scenario, cohort: Cohort, treated: np.ndarray | bool) -> np.ndarray:
    """P(tier 1 → tier 2) per patient, lowered by vaccination and by antiviral treatment."""
    base = np.array([g.p_deteriorate for g in scenario.risk_groups])[cohort.group]
    ve = scenario.clinical.vaccine_efficacy * cohort.vaccinated
    av = scenario.home.antiviral_efficacy * np.asarray(treated, float)
    return base * (1.0 - ve) * (1.0 - av)
