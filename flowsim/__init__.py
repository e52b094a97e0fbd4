"""flowsim: discrete-event simulation of COVID-19 patient flow across a city's treatment network.

The public API: load a scenario, run it, and read tidy tables.

    >>> import flowsim
    >>> scenario = flowsim.load_scenario()            # built-in Hanoi, January 2022
    >>> result = flowsim.run(scenario, seed=1)
    >>> result.summary["wait_tier2_p90"], result.timeseries.head()
"""

from .config import ConfigError, Scenario, load_scenario, to_yaml
from .simulation import ConservationError, RunResult, run

__version__ = "0.1.0"
__all__ = ["ConfigError", "ConservationError", "RunResult", "Scenario", "load_scenario", "run", "to_yaml"]
