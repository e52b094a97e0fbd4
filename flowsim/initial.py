"""Patients already in care at t = 0: a state the model itself could have produced.

A census says how many patients are where (at home, in tier-1, oxygen or ICU beds), not how far
each is through their care. A patient seen in care is not a new patient: having got this far
without moving on, they are more likely on a long stay than on a short one, a mild F0 on day 7
is less likely to deteriorate than one diagnosed today, and someone in ICU has only the rest of
their stay ahead. Each patient is therefore drawn as the model's own steady state under constant
arrivals would hold them (the *conditional* route, rather than spinning the model up from empty:
it needs no arrival history and puts exactly the reported counts where they were reported):

1. candidates are new F0 from the model's own cohort draw, each with the stages of care their
   random numbers lead through when no capacity limit interferes (`VISITS`);
2. a candidate offered to a stage is accepted with probability proportional to the mean time a
   patient spends in it on that branch (length bias: of the patients in care at any moment, those
   on long stays are over-represented), or, when the days in care are known, to the chance of
   still being there after that long (survival);
3. that stage's durations are drawn length-biased (or conditional on outlasting the days in
   care), the elapsed time is uniform within them (or the days in care), and the patient goes on
   with what remains, and with their own draws for every later stage.

Step 2 is rejection sampling on the model's own course, so the mix of risk groups, vaccination,
treatment and branches among patients in each stage is the steady state's, exactly. Assumed: a
home F0 who deteriorated is noticed after the monitored detection delay; the minutes spent
waiting for and riding in an ambulance are not part of any stage.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from . import cohort as cohort_mod
from .arrivals import districts_of
from .config import ConfigError, Scenario
from .pools import counted_tier
from .streams import Streams

HOME, TIER1_BEDS, OXYGEN, ICU = "at home", "in tier-1 beds", "in oxygen beds", "in ICU beds"
STAGES = (HOME, TIER1_BEDS, OXYGEN, ICU)
"""Where a patient in care at t = 0 is treated (the categories of `InitialCensus`)."""
STAGE_OF_BED_TIER = {1: TIER1_BEDS, 2: OXYGEN, 3: ICU}
STAGE_SEVERITY = {HOME: 1, TIER1_BEDS: 1, OXYGEN: 2, ICU: 3}


class Visit(NamedTuple):
    """One stay in a stage on one branch of the course; `durations` are `Cohort` fields whose
    sum is its length, `slot` tells visits a patient can make to the same stage apart."""

    name: str
    stage: str
    durations: tuple[str, ...]
    slot: int


MILD_HOME_RECOVERS = Visit("mild at home, recovers", HOME, ("tier1_stay",), 0)
MILD_HOME_DETERIORATES = Visit("mild at home, deteriorates", HOME, ("time_to_deterioration", "detection_delay"), 0)
MILD_BED_RECOVERS = Visit("mild in a bed, recovers", TIER1_BEDS, ("tier1_stay",), 0)
MILD_BED_DETERIORATES = Visit("mild in a bed, deteriorates", TIER1_BEDS, ("time_to_deterioration", "detection_delay"), 0)
CONVALESCES = Visit("convalescing after oxygen care", TIER1_BEDS, ("convalescence_stay",), 1)
OXYGEN_ESCALATES = Visit("oxygen care, escalates", OXYGEN, ("time_to_escalation",), 0)
OXYGEN_ENDS = Visit("oxygen care, recovers or dies", OXYGEN, ("tier2_stay",), 0)
STEP_DOWN = Visit("step-down care after ICU", OXYGEN, ("step_down_stay",), 1)
INTENSIVE = Visit("intensive care", ICU, ("tier3_stay",), 0)
VISITS = (MILD_HOME_RECOVERS, MILD_HOME_DETERIORATES, MILD_BED_RECOVERS, MILD_BED_DETERIORATES, CONVALESCES,
          OXYGEN_ESCALATES, OXYGEN_ENDS, STEP_DOWN, INTENSIVE)
DETERIORATING = (MILD_HOME_DETERIORATES, MILD_BED_DETERIORATES)

MIN_STAY = 1e-6
"""Days: a visit shorter than this on average (a tenth of a second) holds no one at a given moment."""
MAX_CANDIDATES = 2_000_000
"""The most candidates drawn for one initial census (a census the course almost never produces
is refused rather than drawn for ever)."""


class Request(NamedTuple):
    """`patients` in `stage` at t = 0, optionally at a given facility, with `days_in_care` so far
    (None: unknown, drawn from the steady state); `field` names the input for errors."""

    stage: str
    patients: int
    days_in_care: float | None
    facility: str | None
    field: str


@dataclass
class InitialState:
    """The initial census as patients: their cohort (durations of the stage they are in replaced
    by what remains of it), their course, the visit each is on (index into `VISITS`), and the
    facility each was listed at (None: the nearest free bed of their tier)."""

    cohort: cohort_mod.Cohort
    course: cohort_mod.Course
    visit: np.ndarray
    facility: Sequence[str | None]
    elapsed: np.ndarray
    """Days already spent in the current stage."""

    def __len__(self) -> int:
        return len(self.cohort)


TOTALS = ((HOME, "tier1_home", 0), (TIER1_BEDS, "tier1_facility", 1), (OXYGEN, "tier2", 2), (ICU, "tier3", 3))
"""The city totals of `InitialCensus`: stage (counted by beds), field, tier (counted by facility)."""


def requests(scenario: Scenario) -> list[Request]:
    """What the scenario's `initial_census` asks for, one request per city total and per row."""
    ic = scenario.initial_census
    unknown = None if ic.part_way else 0.0
    out = []
    for stage, name, tier in TOTALS:
        n = getattr(ic, name)
        if n > 0 and (ic.counted_by == "beds" or stage == HOME):
            out.append(Request(stage, n, unknown, None, f"initial_census.{name}"))
        elif n > 0:
            for facility, bed_tier, share in counted_at(scenario, tier, n, f"initial_census.{name}"):
                out.append(Request(STAGE_OF_BED_TIER[bed_tier], share, unknown, facility, f"initial_census.{name}"))
    for i, row in enumerate(ic.facilities):
        if row.patients > 0:
            days = row.days_in_care if row.days_in_care is not None else unknown
            out.append(Request(STAGE_OF_BED_TIER[row.tier], row.patients, days, row.facility,
                               f"initial_census.facilities[{i}]"))
    return out


def counted_at(scenario: Scenario, tier: int, patients: int, field: str) -> list[tuple[str, int, int]]:
    """A total counted by facility at `tier`, shared among the beds counted there in proportion to
    their number (largest remainders; beds taken by listed rows are not offered): (facility, bed
    tier, patients) for each ward that gets any."""
    listed: dict[tuple[str, int], int] = {}
    for row in scenario.initial_census.facilities:
        listed[(row.facility, row.tier)] = listed.get((row.facility, row.tier), 0) + row.patients
    wards = [(f.name, b, f.beds.of(b) - listed.get((f.name, b), 0)) for f in scenario.facilities for b in (1, 2, 3)
             if f.beds.of(b) and counted_tier(f.kind, b, f.tower_level) == tier]
    beds = np.array([free for _, _, free in wards], float)
    if beds.sum() < patients:
        raise ConfigError(f"{field}: {patients:,} patients counted at tier {tier}, but the beds that count at "
                          f"tier {tier} number {int(beds.sum()):,}")
    quota = patients * beds / beds.sum()
    share = np.floor(quota).astype(int)
    short = patients - share.sum()
    share[np.argsort(share - quota, kind="stable")[:short]] += 1
    return [(name, b, int(k)) for (name, b, _), k in zip(wards, share, strict=True) if k > 0]


def visits_made(c: cohort_mod.Cohort, course: cohort_mod.Course) -> np.ndarray:
    """Which visits each candidate makes on its uncongested course: bool (len(VISITS), n)."""
    mild = c.severity == 1
    home = mild & c.home_eligible
    bed = mild & ~c.home_eligible
    det_home = home & course.deteriorates(True)
    det_bed = bed & course.deteriorates_untreated
    oxygen = (c.severity == 2) | det_home | det_bed
    icu = (c.severity == 3) | (oxygen & course.escalates)
    made = {
        MILD_HOME_RECOVERS: home & ~det_home, MILD_HOME_DETERIORATES: det_home,
        MILD_BED_RECOVERS: bed & ~det_bed, MILD_BED_DETERIORATES: det_bed,
        CONVALESCES: oxygen & ~course.escalates & ~course.dies_tier2 & course.convalesces,
        OXYGEN_ESCALATES: oxygen & course.escalates, OXYGEN_ENDS: oxygen & ~course.escalates,
        STEP_DOWN: icu & ~course.dies_tier3, INTENSIVE: icu,
    }
    return np.array([made[v] for v in VISITS])


def entering(c: cohort_mod.Cohort, course: cohort_mod.Course, stage: str) -> np.ndarray:
    """The visits candidates would make if they entered `stage` now, whatever their course before:
    for a census that starts every stay at t = 0 in a stage the course never reaches (a teaching
    toy), the branch taken there is still the patient's own."""
    made = np.zeros((len(VISITS), len(c)), bool)
    branch = {HOME: (MILD_HOME_DETERIORATES, MILD_HOME_RECOVERS, course.deteriorates(True)),
              TIER1_BEDS: (MILD_BED_DETERIORATES, MILD_BED_RECOVERS, course.deteriorates_untreated),
              OXYGEN: (OXYGEN_ESCALATES, OXYGEN_ENDS, course.escalates),
              ICU: (INTENSIVE, INTENSIVE, np.ones(len(c), bool))}[stage]
    yes, no, taken = branch
    made[VISITS.index(no)] = ~taken
    made[VISITS.index(yes)] |= taken
    return made


def visit_shares(scenario: Scenario, entering_stage: str | None = None) -> np.ndarray:
    """Share of new F0 that make each visit (`VISITS`), from the scenario's probabilities: the
    analytic counterpart of `visits_made` (or of `entering` a stage), used to size the draw and to
    check what is reachable."""
    out = np.zeros(len(VISITS))
    ve, cov, av = scenario.clinical.vaccine_efficacy, scenario.home.antiviral_coverage, scenario.home.antiviral_efficacy
    for g in scenario.risk_groups:
        mild = 1.0 - g.p_tier2_at_diagnosis - g.p_tier3_at_diagnosis
        home, bed = mild * g.home_share, mild * (1.0 - g.home_share)
        untreated = g.p_deteriorate * (1.0 - ve * g.vaccinated)
        at_home = untreated * (1.0 - av * cov)
        oxygen = g.p_tier2_at_diagnosis + home * at_home + bed * untreated
        icu = g.p_tier3_at_diagnosis + oxygen * g.p_escalate
        if entering_stage is not None:
            home = bed = oxygen = icu = 1.0
        made = {
            MILD_HOME_RECOVERS: home * (1 - at_home), MILD_HOME_DETERIORATES: home * at_home,
            MILD_BED_RECOVERS: bed * (1 - untreated), MILD_BED_DETERIORATES: bed * untreated,
            CONVALESCES: oxygen * (1 - g.p_escalate - g.p_die_tier2) * scenario.clinical.p_convalescence,
            OXYGEN_ESCALATES: oxygen * g.p_escalate, OXYGEN_ENDS: oxygen * (1 - g.p_escalate),
            STEP_DOWN: icu * (1 - g.p_die_tier3), INTENSIVE: icu,
        }
        out += g.share * np.array([made[v] if entering_stage is None or (v.stage == entering_stage and v.slot == 0)
                                   else 0.0 for v in VISITS])
    return out


def mean_length(scenario: Scenario, visit: Visit) -> float:
    """Mean length of a visit (days)."""
    total = 0.0
    for name in visit.durations:
        dist, factor = cohort_mod.duration_law(scenario, name)
        total += factor * dist.mean
    return total


def check(scenario: Scenario) -> None:
    """Every stage the initial census fills is one the model's course can put a patient in."""
    shares = visit_shares(scenario)
    for r in requests(scenario):
        if r.days_in_care is not None:
            continue  # a stay of known length so far: drawn as entering the stage (`entering`) if need be
        seen = sum(shares[j] * (mean_length(scenario, v) >= MIN_STAY) for j, v in enumerate(VISITS) if v.stage == r.stage)
        if not seen > 0:
            raise ConfigError(_impossible(r))


def reachable(scenario: Scenario, min_share: float = 0.0) -> set[str]:
    """The stages (`STAGES`) in which the model's course holds a patient for a while: more than
    `min_share` of new F0 make a visit there of positive mean length."""
    shares = visit_shares(scenario)
    return {v.stage for j, v in enumerate(VISITS) if shares[j] > min_share and mean_length(scenario, v) >= MIN_STAY}


class _Pool:
    """Draws of one visit's durations, from which stays seen in progress are picked."""

    def __init__(self, scenario: Scenario, visit: Visit, streams: Streams, size: int) -> None:
        tag = f"pool.{VISITS.index(visit)}"
        self.parts = np.array([cohort_mod.sample_duration(scenario, name, streams.rng("initial", f"{tag}.{name}"), size)
                               for name in visit.durations])
        self.length = self.parts.sum(axis=0)

    def weight(self, days_in_care: float | None) -> float:
        """Relative chance that a patient making this visit is in it at a given moment: its mean
        length (days in care unknown), or the share of stays longer than the days in care."""
        if days_in_care is None:
            mean = float(self.length.mean())
            return mean if mean >= MIN_STAY else 0.0
        return float((self.length >= days_in_care).mean())

    def pick(self, rng: np.random.Generator, n: int, days_in_care: float | None) -> tuple[np.ndarray, np.ndarray]:
        """Durations (parts × n) of `n` stays in progress and the days elapsed in each."""
        if days_in_care is None:
            scaled = self.length / self.length.max()
            rows = rng.choice(len(self.length), size=n, p=scaled / scaled.sum())  # length-biased
            return self.parts[:, rows], self.length[rows] * rng.random(n)
        longer = np.flatnonzero(self.length >= days_in_care)
        rows = longer[rng.integers(0, len(longer), n)]
        return self.parts[:, rows], np.full(n, float(days_in_care))


READS = frozenset({"initial_census", "facilities", "districts", "risk_groups", "clinical", "home"})
"""The parts of a scenario its initial census is drawn from: `draw` reads nothing else (held to
it by tests/test_initial.py), so a draw serves every scenario that agrees on them."""
DRAWS_KEPT = 16
"""Initial censuses remembered per process (7 MB each for Hanoi's 42,000 patients: 112 MB at most)."""
_drawn: OrderedDict[tuple[int, int, str], InitialState] = OrderedDict()
_drawn_lock = threading.Lock()


def draw(scenario: Scenario, streams: Streams) -> InitialState:
    """The patients of `scenario.initial_census`, drawn conditional on where they are.

    Remembered (read-only) for the scenario's `READS`, seed and replication: a planner moving the
    daily-F0 slider, or a search over arrival rates, starts every run from the same census, and
    its draw (a rejection sampler over a million candidates: 0.2 s for Hanoi, a tenth of a run)
    need not be made again. The draw is a function of those alone, so the numbers are the same."""
    key = (streams.seed, streams.replication, scenario.model_dump_json(include=set(READS)))
    with _drawn_lock:
        found = _drawn.get(key)
        if found is not None:
            _drawn.move_to_end(key)
            return found
    found = _read_only(_draw(scenario, streams))
    with _drawn_lock:
        _drawn[key] = found
        while len(_drawn) > DRAWS_KEPT:
            _drawn.popitem(last=False)
    return found


def _read_only(state: InitialState) -> InitialState:
    """`state` with every array locked: a remembered draw is shared by the runs that use it."""
    arrays = [getattr(state.cohort, f.name) for f in fields(state.cohort)]
    arrays += [getattr(state.course, f.name) for f in fields(state.course)] + [state.visit, state.elapsed]
    for a in arrays:
        a.flags.writeable = False
    return InitialState(state.cohort, state.course, state.visit, tuple(state.facility), state.elapsed)


def _draw(scenario: Scenario, streams: Streams) -> InitialState:
    reqs = requests(scenario)
    if not reqs:
        empty = cohort_mod.draw(scenario, np.zeros(0), np.zeros(0, np.int32), streams, purpose="initial")
        return InitialState(empty, cohort_mod.course(scenario, empty), np.zeros(0, np.int64), [], np.zeros(0))
    # requests alike but for their facility are drawn as one (the facility only places them)
    groups: dict[tuple[str, float | None], list[Request]] = {}
    for r in reqs:
        groups.setdefault((r.stage, r.days_in_care), []).append(r)
    reqs = [r for members in groups.values() for r in members]
    alike = [Request(stage, sum(r.patients for r in members), days, None, members[0].field)
             for (stage, days), members in groups.items()]
    need = {v: sum(g.patients for g in alike if g.stage == v.stage) for v in VISITS}
    pools = {v: _Pool(scenario, v, streams, 8 * n + 2000) for v, n in need.items() if n}
    weights = np.array([[pools[v].weight(g.days_in_care) if v.stage == g.stage else 0.0 for v in VISITS]
                        for g in alike])
    chosen, visit_of = _accept(scenario, streams, alike, weights)

    n0 = sum(r.patients for r in reqs)
    c, course = chosen
    rng = streams.rng("initial", "elapsed")
    elapsed = np.zeros(n0)
    index = np.arange(n0)
    offsets = np.cumsum([0] + [g.patients for g in alike])
    for i, g in enumerate(alike):
        part = index[offsets[i]:offsets[i + 1]]
        for j, v in enumerate(VISITS):
            rows = part[visit_of[part] == j]
            if len(rows):
                durations, elapsed[rows] = pools[v].pick(rng, len(rows), g.days_in_care)
                _go_on(c, course, v, rows, durations, elapsed[rows])
    c.arrival = np.zeros(n0)
    c.severity = np.array([STAGE_SEVERITY[VISITS[j].stage] for j in visit_of], np.int8)
    c.home_eligible = np.array([VISITS[j].stage == HOME for j in visit_of], bool)
    facility = [r.facility for r in reqs for _ in range(r.patients)]
    if any(f is not None for f in facility):
        where = {f.name: i for i, f in enumerate(scenario.facilities)}
        at = np.array([-1 if f is None else where[f] for f in facility])
        district = {i: [d.name for d in scenario.districts].index(f.district) for i, f in enumerate(scenario.facilities)}
        listed = at >= 0
        c.district[listed] = [district[i] for i in at[listed]]
    return InitialState(c, course, visit_of, facility, elapsed)


def _accept(scenario: Scenario, streams: Streams, reqs: list[Request],
            weights: np.ndarray) -> tuple[tuple[cohort_mod.Cohort, cohort_mod.Course], np.ndarray]:
    """Candidates accepted for each request, in request order, and the visit each is on."""
    slots = np.array([v.slot for v in VISITS])
    top = np.array([sum(weights[i, slots == s].max(initial=0.0) for s in set(slots)) for i in range(len(reqs))])
    weights = np.divide(weights, top[:, None], out=np.zeros_like(weights), where=top[:, None] > 0)
    # chance that a candidate offered to each request is accepted (visits that overlap in one
    # candidate make this a slight underestimate: the draw is then a little larger than needed)
    rate = weights @ visit_shares(scenario)
    forced = [r.days_in_care is not None and not rate[i] > 0 for i, r in enumerate(reqs)]
    for i, r in enumerate(reqs):
        if forced[i]:
            rate[i] = weights[i] @ visit_shares(scenario, entering_stage=r.stage)
        if not rate[i] > 0:
            raise ConfigError(_impossible(r))
    want = np.array([r.patients for r in reqs], float)
    offer = want / rate
    offer /= offer.sum()
    needed = want / (rate * offer)
    if needed.max() > MAX_CANDIDATES:
        worst = reqs[int(np.argmax(needed))]
        raise ConfigError(_impossible(worst, f"only about 1 in {needed.max() / worst.patients:.3g} new F0 would be "
                                             "there at a given moment: too rare to draw"))
    n = int(min(MAX_CANDIDATES, 1.1 * needed.max() + 1000))
    while True:
        district = districts_of(scenario, n, streams.rng("initial", "districts"))
        c = cohort_mod.draw(scenario, np.zeros(n), district, streams, purpose="initial")
        course = cohort_mod.course(scenario, c)
        label = streams.rng("initial", "offer").choice(len(reqs), size=n, p=offer)
        made = visits_made(c, course)
        for stage in {r.stage for r, f in zip(reqs, forced, strict=True) if f}:
            mine = np.flatnonzero(np.array([f and r.stage == stage for r, f in zip(reqs, forced, strict=True)])[label])
            made[:, mine] = entering(c.take(mine), course.take(mine), stage)
        # each candidate's chance of being accepted by the request it was offered to
        share = np.einsum("vj,jv->j", made, weights[label])
        keep = streams.rng("initial", "accept").random(n) < share
        accepted = np.flatnonzero(keep)
        by_request = accepted[np.argsort(label[accepted], kind="stable")]
        bounds = np.searchsorted(label[by_request], np.arange(len(reqs) + 1))
        picked = [by_request[bounds[i]:bounds[i + 1]][: r.patients] for i, r in enumerate(reqs)]
        if all(len(p) == r.patients for p, r in zip(picked, reqs, strict=True)):
            break
        if n >= MAX_CANDIDATES:
            short = int(np.argmin([len(p) / r.patients for p, r in zip(picked, reqs, strict=True)]))
            raise ConfigError(_impossible(reqs[short]))
        n = int(min(MAX_CANDIDATES, 1.5 * n))
    rows = np.concatenate(picked)
    label_of = np.repeat(np.arange(len(reqs)), [r.patients for r in reqs])
    # which of a candidate's visits to the stage it is seen in: in proportion to their weights
    vw = weights[label_of] * made[:, rows].T
    u = streams.rng("initial", "visit").random(len(rows)) * vw.sum(axis=1)
    visit_of = np.minimum((vw.cumsum(axis=1) < u[:, None]).sum(axis=1), len(VISITS) - 1)
    return (c.take(rows), course.take(rows)), visit_of


def _go_on(c: cohort_mod.Cohort, course: cohort_mod.Course, visit: Visit, rows: np.ndarray,
           durations: np.ndarray, elapsed: np.ndarray) -> None:
    """Replace the current stage's durations of `rows` by what remains of them after `elapsed`."""
    remaining = durations.sum(axis=0) - elapsed
    if visit in DETERIORATING:
        to_deteriorate, delay = durations
        detecting = elapsed >= to_deteriorate
        c.time_to_deterioration[rows] = np.where(detecting, 0.0, to_deteriorate - elapsed)
        c.detection_delay[rows] = np.where(detecting, remaining, delay)
        c.late_detection_delay[rows] = np.where(detecting, remaining, c.late_detection_delay[rows])
    elif visit in (MILD_HOME_RECOVERS, MILD_BED_RECOVERS, CONVALESCES):
        c.tier1_stay[rows] = remaining
    else:
        getattr(c, visit.durations[0])[rows] = remaining
    deteriorates = visit in DETERIORATING
    course.deteriorates_untreated[rows] = deteriorates
    course.deteriorates_treated[rows] = deteriorates


def _impossible(r: Request, why: str = "no course in this scenario puts anyone there") -> str:
    days = "" if r.days_in_care is None else f" {r.days_in_care:g} days into their care"
    return (f"{r.field}: {r.patients} patients {r.stage}{days}, but {why} (check risk_groups' probabilities "
            "and the stays in clinical)")
