"""The patient pathway (docs/model.md, "The patient pathway"), read top to bottom.

Everyone enters through `Pathway.enter`: the initial census where it was counted, then the new F0
in order of their entry time. Each stage of care is one SimPy generator: need a bed, wait for it
(keeping the bed they have, under the waiting hazard), travel, stay, and leave.

Only patients who may meet a capacity limit get a process. A mild F0 whose whole course is known
when placed is booked at once with no event at all: at home (all of them in one vectorised step,
`Pathway.__init__`) or in a free facility bed (`Pathway.place_mild`). Their census is a set of
intervals (`records.Bookings`).

Rule that keeps blocking from freezing the network (docs/model.md, "Rules flowsim chose"): a patient
who has finished ICU care and waits for a ward bed is treated in place; when their step-down care
time has run out they are discharged from the ICU bed without ever needing a ward bed. ICU beds held
by step-down patients therefore always fall free in finite time, so the ward ↔ ICU cycle breaks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator

import numpy as np
import simpy

from .clock import Environment
from .cohort import Cohort, Course
from .config import Scenario
from .facilities import HomeCare, Ward
from .initial import STAGE_OF_BED_TIER, STAGE_SEVERITY, STEP_DOWN, TIER1_BEDS, VISITS, InitialState, Visit
from .pools import HOME, TRANSIT
from .records import DIED, DIED_WAITING, RECOVERED, Log
from .routing import Admissions
from .transport import Transport

PRIORITY_TIER3, PRIORITY_TIER2, PRIORITY_TIER1, PRIORITY_STEP_DOWN = 0, 1, 2, 3
ENTRY_MILD, ENTRY_SEVERE, ENTRY_HOME_DETERIORATION = 0, 1, 2
"""The kinds of entry into the event-driven model, walked in time order by `Pathway.entries`."""
STAGE_BED_TIER = {stage: tier for tier, stage in STAGE_OF_BED_TIER.items()}
Process = Generator[simpy.Event, object, None]


class Patient:
    """Where a patient in the event-driven part of the model is, and what they need."""

    __slots__ = ("id", "district", "tier", "place", "ward", "location", "blocked_since")

    def __init__(self, id: int, district: int, tier: int, place: int, location: int,
                 ward: Ward | None = None) -> None:
        self.id = id
        self.district = district
        self.tier = tier
        self.place = place
        self.location = location
        self.ward = ward
        self.blocked_since: float | None = None


class Pathway:
    """Every patient of one run, from entry to outcome. `cohort` and `course` hold the initial
    census first (`n_initial` of them), then the new F0."""

    def __init__(self, env: Environment, scenario: Scenario, cohort: Cohort, course: Course,
                 n_initial: int, admissions: Admissions, transport: Transport, log: Log) -> None:
        self.env = env
        self.s = scenario
        self.c = cohort
        self.course = course
        """Which way each patient's course turns (deterioration, escalation, death)."""
        self.n_initial = n_initial
        self.admissions = admissions
        self.transport = transport
        self.log = log
        self.district_location = list(range(len(scenario.districts)))
        """The location index of each district (districts come first, then facilities)."""
        # What every mild F0's entry reads, as Python lists: a list item and float arithmetic cost
        # a fraction of a numpy scalar's, and a bed's release time goes on a heap of floats.
        self.district: list[int] = cohort.district.tolist()
        self.tier1_stay: list[float] = cohort.tier1_stay.tolist()
        self.deteriorates_untreated: list[bool] = course.deteriorates_untreated.tolist()
        self.hazard = {1: 0.0, 2: scenario.waiting_hazard.tier2, 3: scenario.waiting_hazard.tier3}
        self.budget = cohort.waiting_budget.copy()

        # Home-eligible mild F0 (new, and the initial home census): booked in one vectorised step.
        c = cohort
        self.home_deteriorates = course.deteriorates(True)
        self.booked_home = (c.severity == 1) & c.home_eligible
        self.home_end = c.arrival + np.where(self.home_deteriorates, c.time_to_deterioration, c.tier1_stay)
        ids = np.flatnonzero(self.booked_home)
        by_district = ids[np.argsort(c.district[ids], kind="stable")]
        bounds = np.searchsorted(c.district[by_district], np.arange(len(scenario.districts) + 1))
        self.homes = [HomeCare(scenario.monitoring_capacity(district), c.arrival[by_district[bounds[d]:bounds[d + 1]]],
                               self.home_end[by_district[bounds[d]:bounds[d + 1]]])
                      for d, district in enumerate(scenario.districts)]
        log.home_bookings.extend(ids, c.district[ids], c.arrival[ids], self.home_end[ids], ~self.home_deteriorates[ids])

    # -- entries -------------------------------------------------------------------------------

    def enter(self, initial: InitialState, facility_location: dict[str, int],
              progress: Callable[[float], None] | None = None) -> None:
        """Put the initial census in care (at its listed facility, by `facility_location`), then
        start the one process that walks every later entry in time order."""
        for i in np.flatnonzero(~self.booked_home[:self.n_initial]).tolist():  # home patients are booked
            visit = VISITS[initial.visit[i]]
            listed = initial.facility[i]
            ward = None if listed is None else self.admissions.ward_at(facility_location[listed],
                                                                        STAGE_BED_TIER[visit.stage])
            self.in_care_at_start(int(i), visit, ward)
        c, horizon = self.c, self.s.horizon_days
        new = np.arange(len(c)) >= self.n_initial
        mild = np.flatnonzero(new & (c.severity == 1) & ~c.home_eligible)
        severe = np.flatnonzero(new & (c.severity > 1))
        home_det = np.flatnonzero(self.booked_home & self.home_deteriorates & (self.home_end < horizon))
        # A booked home stay that ends in deterioration exactly at the horizon: the run stops before
        # anything due at the horizon happens, so the deterioration is not taken up and the patient
        # stays on at home, as an entry keeps them (`entries`); without this the booked interval's
        # end took them off the census with no outcome (found by tests/test_conservation.py).
        for i in np.flatnonzero(self.booked_home & self.home_deteriorates & (self.home_end == horizon)).tolist():
            self.log.census(horizon, 1, HOME, 1)
            self.log.home(horizon, self.district[i], 1)
        entry_t = np.concatenate([c.arrival[mild], c.arrival[severe], self.home_end[home_det]])
        entry_kind = np.concatenate([np.full(len(mild), ENTRY_MILD), np.full(len(severe), ENTRY_SEVERE),
                                     np.full(len(home_det), ENTRY_HOME_DETERIORATION)])
        entry_id = np.concatenate([mild, severe, home_det])
        order = np.lexsort((entry_id, entry_t))
        self.env.process(self.entries(entry_t[order], entry_kind[order], entry_id[order], progress))

    def entries(self, times: np.ndarray, kinds: np.ndarray, ids: np.ndarray,
                progress: Callable[[float], None] | None) -> Process:
        """Walk the sorted entries: a mild F0 who needs a facility bed, an F0 diagnosed at tier 2
        or 3, a booked home stay that ends in deterioration. The clock jumps to an entry with no
        event of its own when nothing is due before it (`simulation.Environment.advance_to`)."""
        env, horizon = self.env, self.s.horizon_days
        severity, district = self.c.severity, self.district
        census = self.log.census
        next_report = 0.0
        for t, kind, i in zip(times.tolist(), kinds.tolist(), ids.tolist(), strict=False):
            if t > env._now and not env.advance_to(t):
                yield env.timeout(t - env._now)
            if progress is not None and t >= next_report:
                progress(t / horizon)
                next_report = t + horizon / 100
            if kind == ENTRY_MILD:
                self.place_mild(i)
            elif kind == ENTRY_SEVERE:
                d = district[i]
                env.process(self.severe_at_diagnosis(Patient(i, d, int(severity[i]), HOME, d)))
            else:
                d = district[i]
                census(t, 1, HOME, 1)  # the booked home interval ended here; the patient stays on
                env.process(self.deteriorate_at_home(Patient(i, d, 1, HOME, d), counted=False))

    # -- mild F0 -------------------------------------------------------------------------------

    def place_mild(self, i: int) -> None:
        """A tier-1 F0 not eligible for home: the nearest facility bed, else the overflow policy."""
        now = self.env._now  # SimPy's attribute behind `now` (tests/test_simpy_internals.py): per mild F0
        d = self.district[i]
        loc = self.district_location[d]
        ward = self.admissions.free_ward(1, loc)
        self.log.placement(now, ward is not None)
        if ward is not None:
            self.mild_in_bed(i, ward)
            return
        if self.s.routing.tier1_overflow == "queue":
            deteriorates = self.deteriorates_untreated[i]
            self.log.census(now, 1, HOME, 1)
            p = Patient(i, d, 1, HOME, loc)
            self.at_home(p)
            self.env.process(self.wait_for_facility(p, deteriorates))
            return
        self.mild_at_home(i)

    def mild_in_bed(self, i: int, ward: Ward) -> None:
        """A tier-1 F0 given a facility bed now: booked unless they deteriorate there."""
        now = self.env._now
        if self.deteriorates_untreated[i]:
            ward.take(i)
            self.log.census(now, 1, ward.place, 1)
            p = Patient(i, self.district[i], 1, ward.place, ward.location, ward)
            self.start_at(now + self.c.time_to_deterioration[i], self.deteriorate_in_facility(p))
        else:
            self.book_bed(i, ward, now + self.tier1_stay[i])

    def mild_at_home(self, i: int) -> None:
        """A tier-1 F0 at home (overflow, or initial census): booked unless they deteriorate."""
        c = self.c
        now = self.env.now
        course = self.course
        if course.deteriorates_treated[i] if course.treated[i] else course.deteriorates_untreated[i]:
            d = self.district[i]
            self.log.census(now, 1, HOME, 1)
            p = Patient(i, d, 1, HOME, self.district_location[d])
            self.at_home(p)
            self.start_at(c.arrival[i] + c.time_to_deterioration[i], self.deteriorate_at_home(p))
        else:
            self.book_home(i, float(c.arrival[i]) + self.tier1_stay[i])

    # -- the initial census --------------------------------------------------------------------

    def in_care_at_start(self, i: int, visit: Visit, ward: Ward | None) -> None:
        """A patient of the initial census, in care at t = 0 on `visit` (`flowsim.initial`: their
        durations are what remains), in `ward` if listed there with a bed free, else in the
        nearest free bed of their tier, else waiting for one as a new patient would."""
        c = self.c
        d = self.district[i]
        loc = self.district_location[d]
        tier = STAGE_SEVERITY[visit.stage]
        if ward is None or ward.free() <= 0:
            ward = self.admissions.free_ward(tier, loc)
        if visit.stage == TIER1_BEDS:
            if ward is None:
                self.mild_at_home(i)
            else:
                self.mild_in_bed(i, ward)
            return
        if ward is None:
            self.env.process(self.severe_at_diagnosis(Patient(i, d, tier, HOME, loc), visit is STEP_DOWN))
            return
        ward.take(i)
        self.log.census(self.env.now, tier, ward.place, 1)
        p = Patient(i, d, tier, ward.place, ward.location, ward)
        if visit is STEP_DOWN:
            self.env.process(self.step_down_care(p, c.step_down_stay[i]))
        elif tier == 2:
            self.env.process(self.oxygen_care(p, c.time_to_escalation[i], c.tier2_stay[i]))
        else:
            self.env.process(self.icu_care(p, c.tier3_stay[i]))

    # -- stages of care -------------------------------------------------------------------------

    def deteriorate_at_home(self, p: Patient, counted: bool = True) -> Process:
        """A home patient needs oxygen. Noticed late if the district's team is over capacity."""
        if not counted:
            self.at_home(p)
        self.need(p, 2)
        home = self.homes[p.district]
        monitored = self.c.u_monitor[p.id] < home.monitored_share(self.env.now)
        delay = self.c.detection_delay[p.id] if monitored else self.c.late_detection_delay[p.id]
        if not (yield from self.endure(p, 2, delay)):
            return
        if (yield from self.seek(p, 2, PRIORITY_TIER2)):
            yield from self.oxygen_care(p, self.c.time_to_escalation[p.id], self.c.tier2_stay[p.id])

    def deteriorate_in_facility(self, p: Patient) -> Process:
        """A station (or tier-1 hospital) patient needs oxygen; they keep their bed meanwhile."""
        self.need(p, 2)
        if not (yield from self.endure(p, 2, self.c.detection_delay[p.id])):
            return
        if (yield from self.seek(p, 2, PRIORITY_TIER2)):
            yield from self.oxygen_care(p, self.c.time_to_escalation[p.id], self.c.tier2_stay[p.id])

    def severe_at_diagnosis(self, p: Patient, stepping_down: bool = False) -> Process:
        """An F0 diagnosed at tier 2 or 3: waits at home for a hospital bed. (`stepping_down`: a
        patient of the initial census out of ICU, with no oxygen bed for their step-down care.)"""
        self.log.census(self.env.now, p.tier, HOME, 1)
        self.at_home(p)
        priority = PRIORITY_STEP_DOWN if stepping_down else PRIORITY_TIER3 if p.tier == 3 else PRIORITY_TIER2
        start = self.env.now
        if not (yield from self.seek(p, p.tier, priority)):
            return
        if stepping_down:
            yield from self.step_down_care(p, max(0.0, self.c.step_down_stay[p.id] - (self.env.now - start)))
        elif p.tier == 3:
            yield from self.icu_care(p, self.c.tier3_stay[p.id])
        else:
            yield from self.oxygen_care(p, self.c.time_to_escalation[p.id], self.c.tier2_stay[p.id])

    def wait_for_facility(self, p: Patient, deteriorates: bool) -> Process:
        """Overflow policy 'queue': wait at home for a tier-1 bed until the course ends."""
        c = self.c
        end = c.arrival[p.id] + (c.time_to_deterioration[p.id] if deteriorates else c.tier1_stay[p.id])
        start = self.env.now
        req = self.admissions.request(p.id, 1, p.location, p.district, PRIORITY_TIER1)
        if not req.triggered:
            self.log.begin_wait(1, p.id, start, "care")
            yield req | self.env.timeout(max(0.0, end - start))
        if req.ward is None:
            req.cancel()
            self.log.wait(1, p.id, start, self.env.now, "course_ended", "care")
            if deteriorates:
                yield from self.deteriorate_at_home(p)
            else:
                self.exit(p, RECOVERED)
            return
        self.log.wait(1, p.id, start, self.env.now, "admitted", "care")
        yield from self.transfer(p, req.ward, hazard=0.0)
        yield self.env.timeout(max(0.0, end - self.env.now))
        if deteriorates:
            yield from self.deteriorate_in_facility(p)
        else:
            self.exit(p, RECOVERED)

    def oxygen_care(self, p: Patient, escalation_time: float, stay: float) -> Process:
        """Tier 2: escalate to ICU, die, or recover (perhaps convalescing in a tier-1 bed)."""
        if self.course.escalates[p.id]:
            yield self.env.timeout(escalation_time)
            self.need(p, 3)
            if (yield from self.seek(p, 3, PRIORITY_TIER3)):
                yield from self.icu_care(p, self.c.tier3_stay[p.id])
            return
        yield self.env.timeout(stay)
        if self.course.dies_tier2[p.id]:
            self.exit(p, DIED)
        elif self.course.convalesces[p.id]:
            self.convalesce(p)
        else:
            self.exit(p, RECOVERED)

    def icu_care(self, p: Patient, stay: float) -> Process:
        """Tier 3: die, or step down to a ward bed (treated in place while none is free)."""
        yield self.env.timeout(stay)
        if self.course.dies_tier3[p.id]:
            self.exit(p, DIED)
            return
        self.need(p, 2)
        remaining = self.c.step_down_stay[p.id]
        start = self.env.now
        req = self.admissions.request(p.id, 2, p.location, p.district, PRIORITY_STEP_DOWN)
        if not req.triggered:
            self.log.begin_wait(2, p.id, start, "step_down")
            yield req | self.env.timeout(remaining)
        if req.ward is None:
            req.cancel()
            self.log.wait(2, p.id, start, self.env.now, "discharged_in_place", "step_down")
            self.exit(p, RECOVERED)
            return
        self.log.wait(2, p.id, start, self.env.now, "admitted", "step_down")
        yield from self.transfer(p, req.ward, hazard=0.0)
        yield self.env.timeout(max(0.0, remaining - (self.env.now - start)))
        self.exit(p, RECOVERED)

    def step_down_care(self, p: Patient, remaining: float) -> Process:
        """Oxygen-bed care after ICU, until discharge."""
        yield self.env.timeout(remaining)
        self.exit(p, RECOVERED)

    def convalesce(self, p: Patient) -> None:
        """After oxygen care: a few days in a tier-1 bed of the same hospital, or at home."""
        now = self.env.now
        until = now + self.c.convalescence_stay[p.id]
        ward = self.admissions.ward_at(p.location, 1)
        self._let_go(p)
        self.log.census(now, p.tier, p.place, -1)
        if ward is not None and ward.free() > 0:
            self.book_bed(p.id, ward, until)
        else:
            self.book_home(p.id, until)

    # -- shared steps ---------------------------------------------------------------------------

    def time_to_death(self, p: Patient, hazard: float) -> float:
        """Days the patient survives waiting under `hazard` (per day): the rest of their budget."""
        budget = float(self.budget[p.id])
        return budget / hazard if hazard > 0 and budget < hazard * 1e12 else math.inf

    def endure(self, p: Patient, tier: int, duration: float) -> Generator[simpy.Event, object, bool]:
        """Wait `duration` days needing a tier-`tier` bed, under the waiting hazard. False if died."""
        if duration <= 0:
            return True
        hazard = self.hazard[tier]
        survive = self.time_to_death(p, hazard)
        if survive < duration:
            start = self.env.now
            self.log.begin_wait(tier, p.id, start, "detection")
            yield self.env.timeout(survive)
            self.budget[p.id] = 0.0
            self.log.wait(tier, p.id, start, self.env.now, "died", "detection")
            self.exit(p, DIED_WAITING)
            return False
        yield self.env.timeout(duration)
        self.budget[p.id] -= hazard * duration
        return True

    def seek(self, p: Patient, tier: int, priority: int) -> Generator[simpy.Event, object, bool]:
        """Get a tier bed: wait where the patient is (keeping their bed), then move. False if died."""
        start = self.env.now
        req = self.admissions.request(p.id, tier, p.location, p.district, priority)
        if not req.triggered:
            self.log.begin_wait(tier, p.id, start, "care")
            hazard = self.hazard[tier]
            survive = self.time_to_death(p, hazard)
            if survive < math.inf:
                yield req | self.env.timeout(survive)
            else:
                yield req
            if req.ward is None:
                req.cancel()
                self.budget[p.id] = 0.0
                self.log.wait(tier, p.id, start, self.env.now, "died", "care")
                self.exit(p, DIED_WAITING)
                return False
            self.budget[p.id] -= hazard * (self.env.now - start)
        self.log.wait(tier, p.id, start, self.env.now, "admitted", "care")
        assert req.ward is not None  # a granted request holds its ward
        return (yield from self.transfer(p, req.ward, bed_wait=self.env.now - start))

    def transfer(self, p: Patient, ward: Ward, bed_wait: float = 0.0,
                 hazard: float | None = None) -> Generator[simpy.Event, object, bool]:
        """Move to a bed already granted (reserved). The patient keeps their place until the
        vehicle arrives, under the waiting hazard; False if they died waiting for it."""
        now = self.env.now
        if ward.location == p.location:
            self._let_go(p)
            self._arrive(p, ward)
            return True
        called = now
        call = self.transport.reach(p.id, p.location, ward.location, p.tier)
        if call is not None:
            h = self.hazard[p.tier] if hazard is None else hazard
            survive = self.time_to_death(p, h)
            if call.eta - now > survive:  # may die before the vehicle comes
                yield call | self.env.timeout(survive)
                if not call.triggered:
                    self.transport.cancel(call)
                    ward.release(p.id)
                    self.budget[p.id] = 0.0
                    vehicle_wait = self.env.now - called if math.isnan(call.dispatched) else call.queue_wait
                    self.log.transfer(p.id, p.tier, p.location, ward.location, called, math.nan, math.nan,
                                      bed_wait, vehicle_wait, -1, "died")
                    self.exit(p, DIED_WAITING)
                    return False
            else:
                yield call
            self.budget[p.id] -= h * (self.env.now - called)
        reached = self.env.now
        origin = p.location
        self._let_go(p)
        trip = self.transport.carry(p.id, origin, ward.location, p.tier)
        if trip is not None:  # None: no time on the road (a zero travel time), no transit census
            self.log.move(reached, p.tier, p.place, p.tier, TRANSIT)
            p.place = TRANSIT
            yield trip
        vehicle_wait = 0.0 if call is None else call.queue_wait
        vehicle = -1 if call is None or call.vehicle is None else call.vehicle.index
        self.log.transfer(p.id, p.tier, origin, ward.location, called, reached, self.env.now,
                          bed_wait, vehicle_wait, vehicle, "delivered")
        self._arrive(p, ward)
        return True

    def _arrive(self, p: Patient, ward: Ward) -> None:
        self.log.move(self.env.now, p.tier, p.place, p.tier, ward.place)
        p.place = ward.place
        p.ward = ward
        p.location = ward.location

    # -- bookkeeping -------------------------------------------------------------------------

    def need(self, p: Patient, tier: int) -> None:
        """The patient's clinical need changes; a bed they hold becomes a blocked bed."""
        self.log.move(self.env.now, p.tier, p.place, tier, p.place)
        p.tier = tier
        if p.ward is not None and p.blocked_since is None:
            p.blocked_since = self.env.now
            self.log.open_blocks[p.id] = (p.ward.index, p.blocked_since)

    def _let_go(self, p: Patient) -> None:
        """Give back the bed (or the home place) the patient holds."""
        now = self.env.now
        if p.ward is not None:
            if p.blocked_since is not None:
                self.log.block(p.ward.index, p.blocked_since, now)
                del self.log.open_blocks[p.id]
            p.ward.release(p.id)
            p.ward = None
        elif p.place == HOME:
            self.homes[p.district].dynamic -= 1
            self.log.home(now, p.district, -1)
            self.log.stays.end(-1 - p.district, p.id, now)
        p.blocked_since = None

    def exit(self, p: Patient, outcome: int) -> None:
        self._let_go(p)
        self.log.census(self.env.now, p.tier, p.place, -1)
        self.log.outcome(self.env.now, p.id, outcome)

    def at_home(self, p: Patient) -> None:
        self.homes[p.district].dynamic += 1
        self.log.home(self.env.now, p.district, 1)
        self.log.stays.begin(-1 - p.district, p.id, self.env.now)

    def book_home(self, i: int, until: float) -> None:
        """A tier-1 F0 at home until `until`, then recovered: no event, one booking."""
        d = self.district[i]
        self.homes[d].stay_until(until)
        self.log.home_bookings.add(i, d, self.env.now, until)

    def book_bed(self, i: int, ward: Ward, until: float) -> None:
        """A tier-1 F0 in a facility bed until `until`, then recovered: no event, one booking."""
        ward.take_until(until)
        self.log.bed_bookings.add(i, ward.index, self.env._now, until)

    def start_at(self, when: float, process: Process) -> None:
        """Start `process` at time `when` (days)."""
        delay = max(0.0, when - self.env.now)

        def start(_event: simpy.Event) -> None:
            self.env.process(process)

        self.env.timeout(delay).callbacks.append(start)
