"""Scenario configuration: YAML validated into typed, frozen objects.

Every number the model uses lives here, never as a constant in code. Loading is strict: an
unknown key, a wrong type, an out-of-range value or a dangling reference raises `ConfigError`
with one line naming the field path and the reason.
"""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    ValidationError,
    model_validator,
)

from .costs import Costs
from .distributions import Distribution, Exponential, Fixed
from .errors import ConfigError, invalid
from .plan import CapacityChange, problems
from .pools import bed_pool
from .priors import Prior

Probability = Annotated[float, Field(ge=0.0, le=1.0)]

# Bounds on every number a user gives (the schema below and the command line); a run within them
# can still be too large for the machine, which `limits.check_memory` refuses before it starts.
MAX_RATE_PER_DAY = 1e6
"""New F0 per day (every rate of an arrival profile): a third of a megacity diagnosed each week."""
MAX_HORIZON_DAYS = 100_000.0
"""Days: long single-ward queueing runs need tens of thousands (configs/teaching/mmc.yaml: 40,000)."""
MAX_BEDS = 1_000_000
"""Beds of one tier at one facility."""
MAX_POPULATION = 1e10
MAX_VEHICLES = 100_000
"""Vehicles at one ambulance base."""
MAX_SCALE = 100.0
"""A `capacity_scale` multiplier."""
MAX_REPLICATIONS = 10_000

Rate = Annotated[float, Field(ge=0.0, le=MAX_RATE_PER_DAY)]
"""F0 per day."""
Scale = Annotated[float, Field(ge=0.0, le=MAX_SCALE)]


def _builtin_dir() -> Path:
    """The built-in scenarios: `configs/` of the checkout, shipped as the package `flowsim._configs`."""
    try:
        return Path(str(resources.files("flowsim._configs")))
    except ModuleNotFoundError:  # a checkout run without installing it
        return Path(__file__).resolve().parent.parent / "configs"


BUILTIN_DIR = _builtin_dir()
HANOI = "hanoi"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Step(Strict):
    from_day: Annotated[float, Field(ge=0.0, le=MAX_HORIZON_DAYS)]
    rate_per_day: Rate


MAX_DAYS = 3650.0
"""Upper bound on any day or duration in the arrival profile (ten years)."""


class Delay(Strict):
    """A gamma-distributed delay (days) given by its mean and SD; SD 0 is a fixed delay."""

    mean_days: float = Field(ge=0, le=60)
    sd_days: float = Field(default=0.0, ge=0, le=60)


class Intervention(Strict):
    """From `day` on (days from the run's start), transmission is cut by `effect` (0.3: 30% less;
    negative: more, e.g. holiday gatherings), reached linearly over `ramp_days`. Each intervention
    replaces the previous one's effect (0 lifts it); they do not stack."""

    day: float = Field(ge=0, le=MAX_DAYS)
    effect: float = Field(ge=-1, le=1)
    ramp_days: float = Field(default=0.0, ge=0, le=365)
    label: str = ""


class Seir(Strict):
    """SEIR compartments over a closed population; give `r0` or `doubling_days`, not both."""

    population: float = Field(gt=0, le=1e10)
    initial_infected: float = Field(gt=0, le=1e10)
    """People infected (exposed + infectious) at day 0."""
    incubation_days: float = Field(gt=0, le=60)
    """Mean latent period, infection → infectious (exponential)."""
    infectious_days: float = Field(gt=0, le=60)
    """Mean infectious period (exponential)."""
    r0: float | None = Field(default=None, gt=0, le=30)
    """Basic reproduction number, before immunity and interventions."""
    doubling_days: float | None = Field(default=None, ge=0.5, le=365)
    """Doubling time of infections at the start (with `immune_share` immune, before interventions)."""
    immune_share: float = Field(default=0.0, ge=0, lt=1)
    """Share immune at day 0 (vaccination, past infection): starts in R."""
    detection_share: float = Field(default=1.0, gt=0, le=1)
    """Share of infections diagnosed as F0."""
    diagnosis_delay: Delay = Delay(mean_days=0.0)
    """Infection → diagnosis as F0."""

    @model_validator(mode="after")
    def _one_speed(self) -> Seir:
        if (self.r0 is None) == (self.doubling_days is None):
            raise invalid("seir_speed", "give exactly one of 'r0' and 'doubling_days'")
        if self.initial_infected > self.population * (1 - self.immune_share):
            raise invalid("seir_infected", "initial_infected is more than the non-immune population")
        return self


class Renewal(Strict):
    """Diagnoses from the renewal equation c_t = R_t·m(t)·(S_t/S_0)·Σ_s w_s c_(t-s).

    The case history before day 0 is `arrivals.daily_cases` (or `arrivals.csv`); without one, the
    run starts at `cases_per_day` on the growth path `rt` implies. Without `rt`, R_t is fitted to
    the history's last `fit_window_days` (Cori et al. 2013, posterior mean)."""

    rt: float | None = Field(default=None, gt=0, le=30)
    """Reproduction number at the start (before interventions)."""
    rt_sd: float = Field(default=0.0, ge=0, le=10)
    """If above 0, each replication draws its R_t from a gamma with mean `rt` and this SD."""
    cases_per_day: float | None = Field(default=None, gt=0, le=1e7)
    """Diagnoses a day at the start, when there is no case history."""
    generation_interval: Delay = Delay(mean_days=3.5, sd_days=2.4)
    fit_window_days: int = Field(default=7, ge=2, le=60)
    population: float | None = Field(default=None, gt=0, le=1e10)
    """For depletion of susceptibles; none: R_t does not fall as people are infected."""
    immune_share: float = Field(default=0.0, ge=0, lt=1)
    detection_share: float = Field(default=1.0, gt=0, le=1)
    """Share of infections diagnosed (infections = diagnoses ÷ this, for depletion)."""

    @model_validator(mode="after")
    def _check(self) -> Renewal:
        if self.generation_interval.mean_days < 1:
            raise invalid("generation_interval", "generation_interval.mean_days must be at least 1 day")
        return self


class Arrivals(Strict):
    """Daily rate λ(t) of newly diagnosed F0 (patients/day).

    `constant` uses `rate_per_day`; `steps` a list of (from_day, rate) changes; `daily` one rate
    per day, from `daily_cases` or a CSV file (`csv`, columns `day,cases`); `wave` a Gaussian
    epidemic curve `base + peak·exp(-(t-peak_day)²/(2·width²))`; `seir` and `renewal` an epidemic
    model (`seir:`, `renewal:`, see `flowsim.epidemic`) with dated `interventions`.
    """

    profile: Literal["constant", "steps", "daily", "wave", "seir", "renewal"] = "constant"
    rate_per_day: Rate | None = None
    steps: list[Step] | None = None
    csv: str | None = None
    daily_cases: list[Rate] | None = Field(default=None, max_length=int(MAX_HORIZON_DAYS) + 1)
    base_per_day: Rate = 0.0
    peak_per_day: Rate | None = None
    peak_day: float | None = Field(default=None, ge=-MAX_HORIZON_DAYS, le=2 * MAX_HORIZON_DAYS)
    width_days: float | None = Field(default=None, gt=0.0, le=MAX_HORIZON_DAYS)
    seir: Seir | None = None
    renewal: Renewal | None = None
    interventions: list[Intervention] = Field(default_factory=list, max_length=50)
    overdispersion: float | None = Field(default=None, gt=0, le=1e6)
    """Daily counts negative binomial with this size k (variance μ + μ²/k); none: Poisson.
    For the daily, seir and renewal profiles."""

    @model_validator(mode="after")
    def _profile_fields(self) -> Arrivals:
        need = {
            "constant": ["rate_per_day"],
            "steps": ["steps"],
            "daily": ["daily_cases"],
            "wave": ["peak_per_day", "peak_day", "width_days"],
            "seir": ["seir"],
            "renewal": ["renewal"],
        }[self.profile]
        for name in need:
            if getattr(self, name) is None:
                raise invalid("profile_needs", "profile '{profile}' needs '{name}'", profile=self.profile, name=name)
        if self.profile == "steps" and not self.steps:
            raise invalid("steps_empty", "profile 'steps' needs at least one step")
        if self.profile == "daily" and not self.daily_cases:
            raise invalid("daily_empty", "profile 'daily' needs at least one day of cases")
        if self.interventions and self.profile not in EPIDEMIC_PROFILES:
            raise invalid("interventions_profile", "interventions need an epidemic profile (seir or renewal)")
        if self.overdispersion is not None and self.profile not in ("daily", *EPIDEMIC_PROFILES):
            raise invalid("overdispersion_profile", "overdispersion applies to daily counts: profile daily, seir or renewal")
        days = [iv.day for iv in self.interventions]
        if days != sorted(days):
            raise invalid("interventions_order", "interventions must be in order of day")
        if self.profile == "renewal":
            _check_renewal(self)
        return self


EPIDEMIC_PROFILES = ("seir", "renewal")


def _check_renewal(a: Arrivals) -> None:
    r = a.renewal
    assert r is not None
    if r.rt is None and not a.daily_cases:
        raise invalid("renewal_rt", "profile 'renewal' needs 'renewal.rt' or a case history (daily_cases or csv) to fit it to")
    if r.rt is None:
        from .epidemic import estimate_rt

        fit = estimate_rt(a.daily_cases or [], r.fit_window_days, r.generation_interval)
        if int(fit["day"].iloc[-1]) != len(a.daily_cases or []) - 1:
            raise invalid("renewal_window", "the case history has no cases before its last window: nothing to fit R_t to")
    if r.cases_per_day is None and not a.daily_cases:
        raise invalid("renewal_cases", "profile 'renewal' needs 'renewal.cases_per_day' or a case history (daily_cases or csv)")


class Designated(Strict):
    tier2: str | None = None
    tier3: str | None = None


class District(Strict):
    name: str
    population: float = Field(gt=0.0, le=MAX_POPULATION)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    home_monitoring_capacity: int | None = Field(default=None, ge=0, le=int(MAX_POPULATION))
    """Home patients the local health team can follow; `null` is unlimited."""
    designated: Designated = Designated()


BedCount = Annotated[int, Field(ge=0, le=MAX_BEDS)]


class Beds(Strict):
    tier1: BedCount = 0
    tier2: BedCount = 0
    tier3: BedCount = 0

    def of(self, tier: int) -> int:
        return (self.tier1, self.tier2, self.tier3)[tier - 1]


class Facility(Strict):
    """A hospital or a mobile medical station; tier k is served iff it has tier-k beds."""

    name: str
    kind: Literal["hospital", "station"]
    district: str
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    beds: Beds
    level: Literal[1, 2, 3] | None = None
    """The facility's level in the three-tier tower: the tier at which the city's reports count
    the patients it treats (`census.counted_tier`). Default: 1 for a station or a hospital
    without oxygen or ICU beds (a collection facility), else 2 (a hospital treating moderate
    F0: mild F0 in its tier-1 beds are counted at tier 2, as Hanoi's report counts them)."""

    @property
    def tower_level(self) -> int:
        if self.kind == "station":
            return 1
        if self.level is not None:
            return self.level
        return 2 if self.beds.tier2 or self.beds.tier3 else 1


class RiskGroup(Strict):
    """A slice of F0 by age/comorbidity; probabilities are per patient."""

    name: str
    share: Probability
    vaccinated: Probability
    home_share: Probability
    """Share of this group's tier-1 F0 eligible to be treated at home."""
    p_tier2_at_diagnosis: Probability = 0.0
    p_tier3_at_diagnosis: Probability = 0.0
    p_deteriorate: Probability
    """Tier 1 → tier 2 over the course, unvaccinated and untreated."""
    p_escalate: Probability
    """Tier 2 → tier 3."""
    p_die_tier2: Probability
    p_die_tier3: Probability

    @model_validator(mode="after")
    def _check(self) -> RiskGroup:
        if self.p_tier2_at_diagnosis + self.p_tier3_at_diagnosis > 1:
            raise invalid("diagnosis_shares", "p_tier2_at_diagnosis + p_tier3_at_diagnosis must be at most 1")
        if self.p_escalate + self.p_die_tier2 > 1:
            raise invalid("tier2_exits", "p_escalate + p_die_tier2 must be at most 1")
        return self


class Clinical(Strict):
    """Durations of the clinical course (days) and treatment effects."""

    tier1_stay: Distribution
    time_to_deterioration: Distribution
    tier2_stay: Distribution
    time_to_escalation: Distribution
    tier3_stay: Distribution
    step_down_stay: Distribution
    """Tier-2 care after an ICU stay, until discharge."""
    p_convalescence: Probability = 0.0
    """After tier-2 recovery, share who stay on in a tier-1 bed."""
    convalescence_stay: Distribution = Field(default_factory=lambda: Fixed(dist="fixed", value=3))
    vaccine_efficacy: Probability
    """Relative reduction of progression (tier 1 → 2) for vaccinated F0."""
    stay_multiplier: PositiveFloat = 1.0
    """Scales every stay and delay above, the isolation rule included (sensitivity)."""
    hospital_stay_multiplier: PositiveFloat = 1.0
    """Scales the hospital stays alone (`tier2_stay`, `tier3_stay`, `step_down_stay`), on top of
    `stay_multiplier`: a variant's shorter stays (Omicron ≈ 0.6-0.7 × Delta) without touching
    the isolation rule or the delays."""


class Home(Strict):
    antiviral_coverage: Probability = 0.0
    """Share of home F0 given the antiviral package."""
    antiviral_efficacy: Probability = 0.0
    """Relative reduction of progression for treated F0 (1 - relative risk)."""
    detection_delay: Distribution = Field(default_factory=lambda: Fixed(dist="fixed", value=0))
    """Deterioration → request for transfer, for a monitored patient."""
    late_detection_delay: Distribution = Field(
        default_factory=lambda: Exponential(dist="exponential", mean_days=1.0)
    )
    """Deterioration → request, for a patient beyond the monitoring capacity."""


ROUTING_RULE_NAMES = ("nearest_free", "least_loaded", "designated")
"""The routing rules a config can name; `routing.ROUTING_RULES` implements each (the names live
here so that checking a config needs no import of the model)."""


class Routing(Strict):
    policy: str = "nearest_free"
    """A rule of `ROUTING_RULE_NAMES`: nearest_free, least_loaded or designated."""
    when_full: Literal["hold", "anywhere"] = "hold"
    """Designated hospital full: hold the patient where they are, or send them anywhere free."""
    tier1_overflow: Literal["home", "queue"] = "home"
    """A tier-1 F0 who finds every facility bed taken goes home, or waits at home for one."""


class Transport(Strict):
    """Transfers take a travel time; the ambulance fleet replaces this."""

    travel_time: Distribution = Field(default_factory=lambda: Fixed(dist="fixed", value=0.03))


class AmbulanceBase(Strict):
    """Vehicles parked at a place: the 115 centre, a regional station or a hospital."""

    name: str
    district: str
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    vehicles: int = Field(ge=0, le=MAX_VEHICLES)
    serves: list[str] | None = None
    """Districts this base answers under dispatch `district_base` (default: those nearest to it)."""


class RushHour(Strict):
    from_hour: float = Field(ge=0, le=24)
    to_hour: float = Field(ge=0, le=24)
    speed_factor: PositiveFloat
    """Road speed multiplier in these hours (0.6: 40% slower)."""


DISPATCH_RULE_NAMES = ("nearest_idle", "district_base")
"""The dispatch rules a config can name; `ambulances.DISPATCH_RULES` implements each."""


class Ambulances(Strict):
    """The fleet that carries every transfer to a higher tier and between hospitals.

    Durations are in days like everything else (5 minutes = 0.0035 days). Travel time is
    great-circle distance × `detour_factor` ÷ (`speed_kmh` × the rush-hour factor at departure),
    times lognormal noise with mean 1 and log-SD `travel_noise_sd`.
    """

    bases: list[AmbulanceBase] = Field(min_length=1)
    dispatch: str = "nearest_idle"
    """A rule of `DISPATCH_RULE_NAMES`: nearest_idle or district_base."""
    after_handover: Literal["return_to_base", "next_call"] = "return_to_base"
    """After handing a patient over: drive back to base first, or take a waiting call from there."""
    dispatch_delay: Distribution = Field(default_factory=lambda: Fixed(dist="fixed", value=0.0035))
    on_scene: Distribution = Field(default_factory=lambda: Fixed(dist="fixed", value=0.007))
    handover: Distribution = Field(default_factory=lambda: Fixed(dist="fixed", value=0.007))
    speed_kmh: float = Field(default=30.0, gt=0.0, le=1000.0)
    detour_factor: float = Field(default=1.3, ge=1.0, le=10.0)
    rush_hours: list[RushHour] = Field(default_factory=list)
    travel_noise_sd: float = Field(default=0.25, ge=0.0, le=5.0)


class WaitingHazard(Strict):
    """Extra death hazard (per day) while waiting for a bed of the tier, or for the ambulance
    that takes a patient of that tier to it."""

    tier2: float = Field(default=0.0, ge=0.0, le=1000.0)
    tier3: float = Field(default=0.0, ge=0.0, le=1000.0)


class FacilityCensus(Strict):
    """Patients in one facility's beds of one tier at t = 0 (a row of a health department's list)."""

    facility: str
    tier: Literal[1, 2, 3]
    """The tier of the beds they lie in (tier-1 beds, oxygen beds, ICU beds)."""
    patients: NonNegativeInt
    days_in_care: NonNegativeFloat | None = None
    """Days they have already spent in this stage of care (known from admission dates); unknown
    (null): drawn as the model's own steady state would have it."""


class InitialCensus(Strict):
    """Patients already in care at t = 0, counted where they are treated.

    City totals: `tier1_home` at home, `tier1_facility` in tier-1 beds (stations, collection
    facilities, hospitals' tier-1 beds), `tier2` in oxygen beds, `tier3` in ICU beds, placed in
    the nearest free bed of their tier — or, with `counted_by: facility`, as a report counts them. `facilities` (or a CSV `csv` with columns
    facility, tier, patients and optionally days_in_care) lists patients by facility instead;
    the city totals then count only the patients not listed. Each patient's elapsed time in
    care and future are drawn conditional on having got this far (`flowsim.initial`).
    """

    tier1_home: NonNegativeInt = 0
    tier1_facility: NonNegativeInt = 0
    tier2: NonNegativeInt = 0
    tier3: NonNegativeInt = 0
    facilities: list[FacilityCensus] = Field(default_factory=list)
    csv: str | None = None
    counted_by: Literal["beds", "facility"] = "beds"
    """How the city totals were counted: `beds`, by the tier of the beds patients lie in (tier2 in
    oxygen beds, tier3 in ICU beds); `facility`, as a report that counts patients where they are
    treated (tier1_facility, tier2, tier3 at the tier their facility counts them, `Facility.level`):
    each total is then shared among the beds counted at that tier in proportion to their number."""
    part_way: bool = True
    """True: each patient is part-way through their stay, as in the model's steady state; false:
    every stay starts at t = 0 (as if all were admitted at once)."""

    @property
    def total(self) -> int:
        return (self.tier1_home + self.tier1_facility + self.tier2 + self.tier3
                + sum(r.patients for r in self.facilities))


class CapacityScale(Strict):
    """Multipliers on declared capacities (sweeps, sliders); beds are rounded. One field per pool
    (`pools.POOLS`, whose `scale_field` names it)."""

    home_monitoring: Scale = 1.0
    station_beds: Scale = 1.0
    hospital_tier1_beds: Scale = 1.0
    oxygen_beds: Scale = 1.0
    icu_beds: Scale = 1.0
    ambulances: Scale = 1.0


class Scenario(Strict):
    name: str
    description: str = ""
    horizon_days: float = Field(gt=0.0, le=MAX_HORIZON_DAYS)
    warmup_days: NonNegativeFloat = 0.0
    record_step_days: PositiveFloat = 0.25
    seed: NonNegativeInt = 0
    arrivals: Arrivals
    districts: list[District] = Field(min_length=1)
    facilities: list[Facility] = Field(default_factory=list)
    risk_groups: list[RiskGroup] = Field(min_length=1)
    clinical: Clinical
    home: Home = Home()
    routing: Routing = Routing()
    transport: Transport = Transport()
    ambulances: Ambulances | None = None
    """The fleet; without one, transfers take `transport.travel_time` and need no vehicle."""
    waiting_hazard: WaitingHazard = WaitingHazard()
    initial_census: InitialCensus = InitialCensus()
    capacity_scale: CapacityScale = CapacityScale()
    capacity_changes: list[CapacityChange] = Field(default_factory=list, max_length=10_000)
    """Capacity that changes on given days, a phased plan (`flowsim.plan`): beds close as they empty."""
    costs: Costs = Costs()
    """Unit costs of capacity (`flowsim.costs`), for `flowsim optimise`; no run reads them."""
    presets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    priors: list[Prior] = Field(default_factory=list, max_length=100)
    """What is not known: a range and a shape per uncertain field (`flowsim.priors`); used by
    `flowsim calibrate` and `flowsim sensitivity`, never by a run."""

    def beds(self, facility: Facility, tier: int) -> int:
        """Beds of a tier after `capacity_scale`."""
        scale = getattr(self.capacity_scale, bed_pool(facility.kind, tier).scale_field)
        return int(round(facility.beds.of(tier) * scale))

    def vehicles(self, base: AmbulanceBase) -> int:
        """Vehicles at a base after `capacity_scale.ambulances`."""
        return int(round(base.vehicles * self.capacity_scale.ambulances))

    def monitoring_capacity(self, district: District) -> float:
        cap = district.home_monitoring_capacity
        return np.inf if cap is None else cap * self.capacity_scale.home_monitoring


def _cross_check(s: Scenario) -> None:
    """References and sums that one field alone cannot check."""
    for problem in problems(s)[:1]:  # capacity changes: their facilities, bases, days and levels
        raise ConfigError(problem)
    if s.warmup_days >= s.horizon_days:
        raise ConfigError.said("warmup_days", "warmup_horizon", "must be shorter than horizon_days")
    for i, iv in enumerate(s.arrivals.interventions):
        if iv.day >= s.horizon_days:
            raise ConfigError.said(f"arrivals.interventions[{i}].day", "intervention_day",
                                   "{day:g} is not within the run (0 to horizon_days = {horizon:g})",
                                   day=float(iv.day), horizon=float(s.horizon_days))
    names = [d.name for d in s.districts]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise ConfigError.said(f"districts[{i}].name", "duplicate_district", "duplicate district '{name}'", name=name)
    fnames = [f.name for f in s.facilities]
    by_name = {f.name: f for f in s.facilities}
    for i, f in enumerate(s.facilities):
        where = f"facilities[{i}] ({f.name})"
        if fnames.index(f.name) != i:
            raise ConfigError.said(f"{where}.name", "duplicate_facility", "duplicate facility name")
        if f.district not in names:
            raise ConfigError.said(f"{where}.district", "unknown_district", "unknown district '{name}'", name=f.district)
        if f.kind == "station" and f.beds.tier3:
            raise ConfigError.said(f"{where}.beds.tier3", "station_icu", "a mobile station has no ICU beds")
        if (f.lat is None) != (f.lon is None):
            raise ConfigError.said(f"{where}.lat", "lat_lon", "give both lat and lon, or neither")
    _check_facility_census(s, by_name)
    from .initial import check as check_initial_census

    check_initial_census(s)
    from .priors import check as check_priors

    check_priors(s)
    for i, d in enumerate(s.districts):
        for tier in (2, 3):
            target = getattr(d.designated, f"tier{tier}")
            if target is None:
                continue
            path = f"districts[{i}] ({d.name}).designated.tier{tier}"
            if target not in by_name:
                raise ConfigError.said(path, "unknown_facility", "unknown facility '{name}'", name=target)
            if by_name[target].beds.of(tier) == 0:
                raise ConfigError.said(path, "no_tier_beds", "'{name}' has no tier-{tier} beds", name=target, tier=tier)
    if s.routing.policy not in ROUTING_RULE_NAMES:
        raise ConfigError.said("routing.policy", "unknown_rule", "unknown rule '{name}' (known: {known})",
                               name=s.routing.policy, known=", ".join(ROUTING_RULE_NAMES))
    if s.ambulances is not None:
        _check_fleet(s, names)
    total = sum(g.share for g in s.risk_groups)
    if abs(total - 1.0) > 1e-6:
        raise ConfigError.said("risk_groups", "group_shares", "shares must add up to 1 (they add up to {total:g})", total=total)
    gnames = [g.name for g in s.risk_groups]
    if len(set(gnames)) != len(gnames):
        raise ConfigError.said("risk_groups", "duplicate_group", "duplicate group name")


def _check_facility_census(s: Scenario, by_name: dict[str, Facility]) -> None:
    """Every row names a known facility, and no ward holds more patients than it has beds."""
    from_csv = s.initial_census.csv is not None
    held: dict[tuple[str, int], int] = {}
    def field(i: int, name: str) -> str:
        return f"initial_census.csv: row {i + 1}: '{name}'" if from_csv else f"initial_census.facilities[{i}].{name}"

    for i, row in enumerate(s.initial_census.facilities):
        if row.facility not in by_name:
            raise ConfigError.said(field(i, "facility"), "unknown_facility", "unknown facility '{name}'", name=row.facility)
        beds = by_name[row.facility].beds.of(row.tier)
        key = (row.facility, row.tier)
        held[key] = held.get(key, 0) + row.patients
        if held[key] > beds:
            raise ConfigError.said(field(i, "patients"), "census_over_beds",
                                   "{patients} patients in the tier-{tier} beds of '{name}', which has {beds}",
                                   patients=held[key], tier=row.tier, name=row.facility, beds=beds)


def _check_fleet(s: Scenario, districts: list[str]) -> None:
    fleet = s.ambulances
    assert fleet is not None
    if fleet.dispatch not in DISPATCH_RULE_NAMES:
        raise ConfigError.said("ambulances.dispatch", "unknown_rule", "unknown rule '{name}' (known: {known})",
                               name=fleet.dispatch, known=", ".join(DISPATCH_RULE_NAMES))
    for i, b in enumerate(fleet.bases):
        where = f"ambulances.bases[{i}] ({b.name})"
        if b.district not in districts:
            raise ConfigError.said(f"{where}.district", "unknown_district", "unknown district '{name}'", name=b.district)
        if (b.lat is None) != (b.lon is None):
            raise ConfigError.said(f"{where}.lat", "lat_lon", "give both lat and lon, or neither")
        for d in b.serves or []:
            if d not in districts:
                raise ConfigError.said(f"{where}.serves", "unknown_district", "unknown district '{name}'", name=d)
    if sum(b.vehicles for b in fleet.bases) == 0:
        raise ConfigError.said("ambulances.bases", "fleet_empty", "the fleet has no vehicle (give at least one, or remove 'ambulances')")
    if sum(s.vehicles(b) for b in fleet.bases) == 0:
        raise ConfigError.said("capacity_scale.ambulances", "fleet_scaled_empty", "leaves the fleet with no vehicle")
    for i, r in enumerate(fleet.rush_hours):
        if r.to_hour <= r.from_hour:
            raise ConfigError.said(f"ambulances.rush_hours[{i}].to_hour", "rush_hours", "must be after from_hour")


def _format(err: ValidationError) -> ConfigError:
    """Pydantic's first error as one line, `field.path: reason (and N more problems)`, its type and
    context kept (`ConfigError.code`, `.params`) so the app can say it in the page's language."""
    errors = err.errors()
    # an unknown field first: a misspelt key ("xname:") also makes its true name "missing", and
    # "name: Field required" hid the cause
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    parts: list[str] = []
    for p in first["loc"]:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif p in {"fixed", "exponential", "gamma", "lognormal", "weibull", "empirical"}:
            continue  # the union's tag: not a path the user wrote
        else:
            parts.append(("." if parts else "") + str(p))
    path = "".join(parts) or "(top level)"
    msg = first["msg"].removeprefix("Value error, ")
    more = err.error_count() - 1
    reason = msg + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
    params = {k: v for k, v in (first.get("ctx") or {}).items() if isinstance(v, str | int | float)}
    return ConfigError.coded(path, reason, str(first["type"]), {**params, "more": more})


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_override(data: dict, path: str, value: Any) -> None:
    """Set `a.b.0.c` (list items by index or by `name`) in a raw config dict, in place."""
    keys = path.split(".")
    node: Any = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        here = ".".join(keys[: depth + 1])
        if isinstance(node, list):
            idx = None
            if key.lstrip("-").isdigit():
                idx = int(key)
                if not -len(node) <= idx < len(node):
                    raise ConfigError(f"{here}: index out of range (list has {len(node)} items)")
            else:
                matches = [i for i, it in enumerate(node) if isinstance(it, dict) and it.get("name") == key]
                if not matches:
                    raise ConfigError(f"{here}: no item named '{key}'")
                idx = matches[0]
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[key] = value
            else:
                if key not in node or node[key] is None:
                    node[key] = {}
                node = node[key]
        else:
            raise ConfigError(f"{here}: cannot set a field inside a {type(node).__name__}")


def parse_set(items: list[str], field: str = "overrides") -> list[tuple[str, Any]]:
    """`path=value` strings (values read as YAML scalars); an error names them as `field`."""
    out = []
    for item in items:
        if "=" not in item:
            raise ConfigError.at(field, "expected path.to.field=VALUE", item)
        path, text = item.split("=", 1)
        if not path.strip():
            raise ConfigError.at(field, "empty field path", item)
        out.append((path.strip(), _parse_value(text)))
    return out


def _read_csv_cases(path: Path, where: str) -> list[float]:
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise ConfigError(f"{where}: file not found: {path}") from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
        raise ConfigError(f"{where}: cannot read {path.name} as CSV ({exc})") from None
    return cases_from_table(table, where)


FACILITY_CENSUS_COLUMNS = ("facility", "tier", "patients", "days_in_care")


def read_facility_census(path: Path, where: str = "initial_census.csv") -> list[dict[str, Any]]:
    """Rows of a per-facility census CSV (facility, tier, patients[, days_in_care])."""
    import pandas as pd

    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ConfigError(f"{where}: file not found: {path}") from None
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
        raise ConfigError(f"{where}: cannot read {path.name} as CSV ({exc})") from None
    return facility_census_from_table(table, where)


def facility_census_from_table(table: Any, where: str = "initial_census.csv") -> list[dict[str, Any]]:
    """Validated rows from a table with columns facility, tier, patients[, days_in_care]; an error
    names the row (1 = first data row) and the reason."""
    cols = {str(c).strip().lower(): c for c in table.columns}
    for need in FACILITY_CENSUS_COLUMNS[:3]:
        if need not in cols:
            raise ConfigError(f"{where}: the table needs a '{need}' column (has {list(table.columns)})")
    unknown = [c for c in cols if c not in FACILITY_CENSUS_COLUMNS]
    if unknown:
        raise ConfigError(f"{where}: unknown column '{unknown[0]}' (known: {', '.join(FACILITY_CENSUS_COLUMNS)})")
    rows = []
    for i, raw in enumerate(table.to_dict("records")):
        row = f"{where}: row {i + 1}"
        name = str(raw[cols["facility"]]).strip()
        if not name:
            raise ConfigError(f"{row}: 'facility' is empty")
        values: dict[str, Any] = {"facility": name}
        for col, kind in (("tier", int), ("patients", int), ("days_in_care", float)):
            if col not in cols:
                continue
            text = str(raw[cols[col]]).strip()
            if col == "days_in_care" and text == "":
                continue
            try:
                number = float(text)
            except ValueError:
                raise ConfigError(f"{row}: '{col}' is not a number ({text!r})") from None
            if not np.isfinite(number) or number < 0:
                raise ConfigError(f"{row}: '{col}' must be a finite number ≥ 0 (got {text})")
            if kind is int and number != int(number):
                raise ConfigError(f"{row}: '{col}' must be a whole number (got {text})")
            values[col] = kind(number)
        if values["tier"] not in (1, 2, 3):
            raise ConfigError(f"{row}: 'tier' must be 1, 2 or 3 (got {values['tier']})")
        rows.append(values)
    return rows


def cases_from_table(table: Any, where: str) -> list[float]:
    """Daily cases from a table with columns `day` and `cases` (one row per day, from 0)."""
    cols = {str(c).strip().lower(): c for c in table.columns}
    if "cases" not in cols:
        raise ConfigError.coded(where, f"the table needs a 'cases' column (has {list(table.columns)})", "cases_column",
                                {"columns": ", ".join(map(str, table.columns))})
    import pandas as pd

    cases = pd.to_numeric(table[cols["cases"]], errors="coerce")
    if cases.isna().any():
        row = int(cases.isna().to_numpy().argmax())
        raise ConfigError.coded(where, f"row {row + 1}: 'cases' is not a number", "cases_number", {"row": row + 1})
    bad = ~((cases >= 0) & (cases <= MAX_RATE_PER_DAY))
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise ConfigError.coded(where, f"row {row + 1}: 'cases' must be from 0 to {MAX_RATE_PER_DAY:,.0f} a day",
                                "cases_range", {"row": row + 1, "most": int(MAX_RATE_PER_DAY)})
    if "day" in cols:
        day = pd.to_numeric(table[cols["day"]], errors="coerce")
        if day.isna().any() or not (np.diff(day.to_numpy()) > 0).all():
            raise ConfigError.coded(where, "'day' must be increasing numbers", "cases_day_order")
        if not ((day >= 0) & (day <= MAX_HORIZON_DAYS) & (day == day.round())).all():
            raise ConfigError.coded(where, f"'day' must be whole days from 0 to {MAX_HORIZON_DAYS:g}", "cases_day_whole",
                                    {"most": int(MAX_HORIZON_DAYS)})
        order = day.to_numpy()
        series = np.zeros(int(order.max()) + 1)
        series[order.astype(int)] = cases.to_numpy()
        return series.tolist()
    if len(cases) == 0:
        raise ConfigError.coded(where, "no rows", "cases_empty")
    return cases.astype(float).tolist()


def resolve_path(config: str | Path | None) -> Path:
    """A config argument as a path: None or 'hanoi' is the built-in scenario; a bare name is
    looked up in configs/ then configs/teaching/ (`flowsim run town`)."""
    if config is None or str(config) == HANOI:
        return BUILTIN_DIR / "hanoi.yaml"
    path = Path(config)
    if not path.exists() and (BUILTIN_DIR / f"{config}.yaml").exists():
        return BUILTIN_DIR / f"{config}.yaml"
    if not path.exists() and (BUILTIN_DIR / config).exists():
        return BUILTIN_DIR / config
    if not path.exists() and (BUILTIN_DIR / "teaching" / f"{config}.yaml").exists():
        return BUILTIN_DIR / "teaching" / f"{config}.yaml"
    return path


def read_raw(config: str | Path | None) -> tuple[dict, Path]:
    """The YAML mapping of a config file, and the folder relative paths start from."""
    path = resolve_path(config)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config: file not found: {path}") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config: cannot read {path} ({exc.__class__.__name__})") from None
    return parse_yaml(text, str(path)), path.parent


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: ≈ 8× faster, same data
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """YAML's safe loader, but a key given twice in one mapping is an error, not the last one winning."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` keys may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise _DuplicateKey(key, line, seen[key])
                seen[key] = line
            except TypeError:  # an unhashable key: the base loader says so
                continue
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int, first: int) -> None:
        super().__init__(key, line, first)
        self.key, self.line, self.first = str(key), line, first


def parse_yaml(text: str, source: str = "config") -> dict:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except _DuplicateKey as exc:
        raise ConfigError.said(source, "yaml_duplicate_key", "duplicate key '{key}' at line {line} (first at line {first})",
                               key=exc.key, line=exc.line, first=exc.first) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        if mark:
            raise ConfigError.said(source, "yaml_malformed_at", "malformed YAML at line {line}, column {column}: {problem}",
                                   line=mark.line + 1, column=mark.column + 1, problem=problem) from None
        raise ConfigError.said(source, "yaml_malformed", "malformed YAML: {problem}", problem=problem) from None
    if not isinstance(data, dict):
        raise ConfigError.said(source, "yaml_not_mapping", "expected a mapping of fields at the top level")
    return data


def build(
    data: dict,
    overrides: list[tuple[str, Any]] | None = None,
    presets: list[str] | None = None,
    base_dir: Path | None = None,
) -> Scenario:
    """Validate a raw mapping (after presets and overrides) into a Scenario."""
    data = copy.deepcopy(data)
    for name in presets or []:
        table = data.get("presets") or {}
        if name not in table:
            raise ConfigError.at("presets", f"unknown preset (known: {', '.join(table) or 'none'})", name)
        for path, value in table[name].items():
            apply_override(data, path, copy.deepcopy(value))
    for path, value in overrides or []:
        apply_override(data, path, value)
    arrivals = data.get("arrivals")
    if isinstance(arrivals, dict) and arrivals.get("csv"):
        csv_path = Path(arrivals["csv"])
        if not csv_path.is_absolute() and base_dir is not None:
            csv_path = base_dir / csv_path
        arrivals["daily_cases"] = _read_csv_cases(csv_path, "arrivals.csv")
        arrivals.setdefault("profile", "daily")
    census = data.get("initial_census")
    if isinstance(census, dict) and census.get("csv"):
        if census.get("facilities"):
            raise ConfigError.said("initial_census.csv", "census_both", "give either 'facilities' or 'csv', not both")
        csv_path = Path(census["csv"])
        if not csv_path.is_absolute() and base_dir is not None:
            csv_path = base_dir / csv_path
        census["facilities"] = read_facility_census(csv_path)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise _format(err) from None
    _cross_check(scenario)
    return scenario


def load_scenario(
    config: str | Path | None = None,
    overrides: list[tuple[str, Any]] | dict[str, Any] | None = None,
    presets: list[str] | None = None,
) -> Scenario:
    """Load a YAML scenario (default: built-in Hanoi), apply presets then `path=value` overrides."""
    data, base = read_raw(config)
    if isinstance(overrides, dict):
        overrides = list(overrides.items())
    return build(data, overrides, presets, base)


def to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML that loads back to an equal scenario."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["arrivals"].pop("csv", None)
    data["initial_census"].pop("csv", None)
    return yaml.dump(data, Dumper=_SafeDumper, sort_keys=False, allow_unicode=True)
