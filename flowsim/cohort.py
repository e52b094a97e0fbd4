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
from .distributions import Distribution
from .streams import Streams


@dataclass
class Cohort:
    """Per-patient arrays, index = patient id. Durations in days, already scaled (`duration_law`)."""

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

    def take(self, rows: np.ndarray) -> Cohort:
        """A copy holding only the patients `rows`."""
        return Cohort(**{f.name: getattr(self, f.name)[rows].copy() for f in fields(Cohort)})


HOSPITAL_STAYS = ("tier2_stay", "tier3_stay", "step_down_stay")
"""Durations that `clinical.hospital_stay_multiplier` scales."""
COURSE = {
    "tier1_stay": "tier1_stay", "time_to_deterioration": "deterioration_time", "tier2_stay": "tier2_stay",
    "time_to_escalation": "escalation_time", "tier3_stay": "tier3_stay", "step_down_stay": "step_down_stay",
    "convalescence_stay": "convalescence_stay", "detection_delay": "detection",
    "late_detection_delay": "late_detection",
}
"""Each course duration of a `Cohort` and the name of its random stream."""


def duration_law(scenario: Scenario, name: str) -> tuple[Distribution, float]:
    """The distribution of a course duration (a `Cohort` field) and the factor it is scaled by."""
    c = scenario.clinical
    home = ("detection_delay", "late_detection_delay")
    dist = getattr(scenario.home if name in home else c, name)
    factor = c.stay_multiplier * (c.hospital_stay_multiplier if name in HOSPITAL_STAYS else 1.0)
    return dist, factor


def sample_duration(scenario: Scenario, name: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` draws (days) of a course duration, scaled as the scenario says."""
    dist, factor = duration_law(scenario, name)
    return factor * dist.sample(rng, n)


def draw(scenario: Scenario, arrival: np.ndarray, district: np.ndarray, streams: Streams,
         purpose: str = "clinical") -> Cohort:
    """Draw the attributes and course variates of F0 diagnosed at `arrival` in `district`."""
    n = len(arrival)
    groups = scenario.risk_groups

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
        **{name: sample_duration(scenario, name, rng(stream), n) for name, stream in COURSE.items()},
    )


def progression_probability(scenario: Scenario, cohort: Cohort, treated: np.ndarray | bool) -> np.ndarray:
    """P(tier 1 → tier 2) per patient, lowered by vaccination and by antiviral treatment."""
    base = np.array([g.p_deteriorate for g in scenario.risk_groups])[cohort.group]
    ve = scenario.clinical.vaccine_efficacy * cohort.vaccinated
    av = scenario.home.antiviral_efficacy * np.asarray(treated, float)
    return base * (1.0 - ve) * (1.0 - av)


@dataclass
class Course:
    """Which way each patient's course turns, from their own uniforms (one bool array per branch).

    The pathway reads these when the moment comes; the initial census (`flowsim.initial`) reads
    them to know which stages a patient would pass through, and overrides them for patients whose
    history already settled a branch."""

    deteriorates_untreated: np.ndarray
    """Tier 1 → tier 2, without the antiviral package (facility beds, untreated home F0)."""
    deteriorates_treated: np.ndarray
    """Tier 1 → tier 2 if given the antiviral package (home F0 only)."""
    treated: np.ndarray
    """Given the antiviral package if treated at home."""
    escalates: np.ndarray
    """Tier 2 → tier 3."""
    dies_tier2: np.ndarray
    """Dies at the end of an oxygen-bed stay (never with `escalates`)."""
    convalesces: np.ndarray
    """After surviving oxygen care, a few days in a tier-1 bed."""
    dies_tier3: np.ndarray
    """Dies at the end of an ICU stay; else steps down to an oxygen bed."""

    @staticmethod
    def concat(a: Course, b: Course) -> Course:
        return Course(**{f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(Course)})

    def take(self, rows: np.ndarray) -> Course:
        """A copy holding only the patients `rows`."""
        return Course(**{f.name: getattr(self, f.name)[rows].copy() for f in fields(Course)})

    def deteriorates(self, at_home: np.ndarray | bool) -> np.ndarray:
        """Whether each patient deteriorates where they are (the antiviral acts at home only)."""
        return np.where(np.asarray(at_home) & self.treated, self.deteriorates_treated, self.deteriorates_untreated)


def course(scenario: Scenario, c: Cohort) -> Course:
    """The branches of every patient's course under the scenario's probabilities."""
    groups = scenario.risk_groups
    p_escalate = np.array([g.p_escalate for g in groups])[c.group]
    p_die2 = np.array([g.p_die_tier2 for g in groups])[c.group]
    p_die3 = np.array([g.p_die_tier3 for g in groups])[c.group]
    escalates = c.u_tier2 < p_escalate
    return Course(
        deteriorates_untreated=c.u_deteriorate < progression_probability(scenario, c, False),
        deteriorates_treated=c.u_deteriorate < progression_probability(scenario, c, True),
        treated=c.u_antiviral < scenario.home.antiviral_coverage,
        escalates=escalates,
        dies_tier2=~escalates & (c.u_tier2 < p_escalate + p_die2),
        convalesces=c.u_convalescence < scenario.clinical.p_convalescence,
        dies_tier3=c.u_tier3 < p_die3,
    )
