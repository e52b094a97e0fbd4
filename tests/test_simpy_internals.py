"""The SimPy internals flowsim relies on, each held to what flowsim assumes of it.

flowsim reads and writes a few private attributes of SimPy where the public way costs a
measurable share of a run (a property call or a scheduled event per patient). The rule: an
internal is used only if it is listed here and checked by a test below; pyproject.toml bounds
SimPy to the minor version these tests passed on (`simpy>=4.1,<4.2`), so that a new SimPy is
taken on purpose, with these tests, and never by a fresh install. The list:

- `Environment._now`, the attribute behind `Environment.now`: read for the clock in
  `facilities.py` (every bed taken or freed, every request made) and on a mild F0's entry in
  `patient.py` (`Pathway.entries`, `place_mild`, `mild_in_bed`, `book_bed`), and written by
  `clock.Environment.advance_to`, which jumps the clock to a booked entry when no event is
  due before it (the next `timeout` is then scheduled from there, and `step` sets it again).
- `Event._ok`, `Event._value` and `Event.callbacks = None`, set by hand in
  `facilities.Ward.grant` to mark a bed request processed as it is made, with no event
  scheduled: `triggered` (which `patient.py` reads) and `ok`/`value` must read those
  attributes, and a process that yields such an event must resume at once with its value.
- `simpy.events.PENDING`, the value of an event not yet triggered (`facilities.PENDING`).

If a test here fails after a SimPy upgrade, the message names the internal: change the code that
uses it (or go back to the public API), then widen the bound in pyproject.toml.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import simpy
import simpy.events

from flowsim.clock import Environment

ROOT = Path(__file__).resolve().parents[1]


def test_the_simpy_bound_admits_the_installed_version():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    spec = next(d for d in deps if re.match(r"simpy\b", d))
    upper = re.search(r"<\s*(\d+)\.(\d+)", spec)
    assert upper, f"pyproject.toml: {spec!r} has no upper bound, but flowsim uses SimPy internals"
    major, minor = (int(x) for x in simpy.__version__.split(".")[:2])
    assert (major, minor) < (int(upper[1]), int(upper[2])), (
        f"SimPy {simpy.__version__} is outside {spec!r}: run these tests, then widen the bound")


def test_environment_now_is_the_attribute_now_that_flowsim_reads_and_writes():
    env = simpy.Environment(initial_time=2.5)
    assert "_now" in vars(env), "SimPy internal Environment._now is gone (facilities.py reads it)"
    assert env._now == 2.5 and env.now == env._now, "SimPy internal Environment._now is no longer what `now` returns"
    env._now = 4.0  # clock.Environment.advance_to, with nothing due before 4
    assert env.now == 4.0, "SimPy internal Environment._now: writing it no longer moves `now`"
    env.timeout(1.5)
    assert env.peek() == 5.5, "SimPy internal Environment._now: a timeout is no longer scheduled from it"
    env.step()
    assert env._now == 5.5 and env.now == 5.5, "SimPy internal Environment._now: `step` no longer sets it"


def test_the_jumping_clock_keeps_the_clock_in_now():
    env = Environment()  # flowsim's own, as every run uses it
    env.timeout(10)
    assert env.advance_to(3.0) and env.now == 3.0, "SimPy internal Environment._now: advance_to cannot move the clock"
    assert not env.advance_to(11.0) and env.now == 3.0
    seen = []
    env.timeout(2).callbacks.append(lambda _e: seen.append(env.now))
    env.run()
    assert seen == [5.0] and env.now == 10.0, "SimPy internal Environment._now: events after a jump run at the wrong time"


def test_a_pending_event_holds_the_pending_sentinel():
    env = simpy.Environment()
    event = simpy.Event(env)
    assert hasattr(simpy.events, "PENDING"), "SimPy internal simpy.events.PENDING is gone (facilities.py uses it)"
    assert event._value is simpy.events.PENDING, "SimPy internal Event._value no longer starts as PENDING"
    assert isinstance(event.callbacks, list) and not event.triggered and not event.processed
    event.succeed("bed")
    assert event._ok is True and event._value == "bed", "SimPy internal Event._ok/_value: succeed() no longer sets them"


def test_an_event_marked_processed_by_hand_reads_as_granted():
    env = simpy.Environment()
    event = simpy.Event(env)
    event._ok = True  # as facilities.Ward.grant does for a bed granted as it is asked for
    event._value = "ward"
    event.callbacks = None
    assert event.triggered, "SimPy internal Event._value: `triggered` no longer reads it (patient.py relies on it)"
    assert event.processed, "SimPy internal Event.callbacks: `processed` no longer means callbacks is None"
    assert event.ok and event.value == "ward", "SimPy internal Event._ok/_value: `ok`/`value` no longer read them"
    assert env.peek() == simpy.core.Infinity, "marking an event processed by hand scheduled something"


def test_a_process_yielding_a_hand_processed_event_resumes_at_once_with_its_value():
    env = simpy.Environment()
    got = []

    class Request(simpy.Event):  # as facilities.BedRequest: slots on a SimPy event
        __slots__ = ("patient",)

    def patient():
        yield env.timeout(1)
        req = Request(env)
        req.patient = 7
        req._ok, req._value, req.callbacks = True, "ward 3", None
        ward = yield req
        got.append((env.now, ward, env.peek()))  # nothing scheduled for the grant
        yield env.timeout(1)

    env.process(patient())
    env.step()  # the process starts
    env.step()  # the timeout: the process asks for a bed and is granted it in this same step
    assert got == [(1.0, "ward 3", simpy.core.Infinity)], (
        "SimPy internals Event._ok/_value/callbacks: a process yielding an event marked processed by hand "
        f"no longer resumes at once with its value (got {got})")


def test_flowsim_s_clock_binds_simpy_s_event_classes_once_as_simpy_does_for_its_own():
    env = Environment()
    assert env.timeout is env.timeout and env.process is env.process and env.event is env.event
    assert "timeout" in vars(env) and "timeout" in vars(simpy.Environment())  # what SimPy does for its class
    event = env.timeout(2.0, value="x")
    env.run()
    assert env.now == 2.0 and event.value == "x"
