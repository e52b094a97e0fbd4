"""flowsim: discrete-event simulation of COVID-19 patient flow across a city's treatment network.

The public API: load a scenario, run it, and read tidy tables.

    >>> import flowsim
    >>> scenario = flowsim.load_scenario()            # built-in Hanoi, January 2022
    >>> result = flowsim.run(scenario, seed=1)
    >>> result.summary["wait_tier2_p90"], result.timeseries.head()

Experiments replicate scenarios on common random numbers and report 95% intervals:

    >>> reps = flowsim.replicate(scenario, 10)                       # reps.intervals
    >>> flowsim.compare({"now": scenario, "+O2": flowsim.variant(scenario, {"capacity_scale.oxygen_beds": 1.2})})
    >>> flowsim.sweep(scenario, {"arrivals.rate_per_day": [2000, 3000]}), flowsim.bottlenecks(scenario)
    >>> flowsim.replicate(scenario, 10, options=flowsim.RunOptions(executor="serial", store="out/x"))
"""

from ._version import __version__ as __version__  # re-exported: flowsim.__version__
from .config import ConfigError, Scenario, load_scenario, to_yaml
from .experiments import Bottlenecks, Comparison, Sweep, bottlenecks, compare, sweep, variant
from .options import RunOptions
from .replications import Replications, replicate
from .simulation import ConservationError, RunResult, run

__all__ = ["Bottlenecks", "Comparison", "ConfigError", "ConservationError", "Replications", "RunOptions", "RunResult",
           "Scenario", "Sweep", "bottlenecks", "compare", "load_scenario", "replicate", "run", "sweep", "to_yaml", "variant"]
