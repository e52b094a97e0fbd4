"""What capacity costs: a price per unit of each resource, one-off and per day, in the scenario.

`costs:` in a scenario says what one more unit of a resource costs — an oxygen bed, an ICU bed,
a station bed, a hospital tier-1 bed, a vehicle, a home-monitoring slot (one more home F0 a
district team can follow) — as a one-off sum (equipment, conversion) and a running cost per day
(staff, oxygen), in one currency. A plan's cost is, per resource, the units it adds × (one-off +
per day × the days it runs). `flowsim optimise` reads it; nothing else does.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

Money = Annotated[float, Field(ge=0.0, le=1e15)]


class UnitCost(BaseModel):
    """The price of one unit: a one-off sum and a running cost per day."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    one_off: Money = 0.0
    per_day: Money = 0.0

    def over(self, days: float) -> float:
        """One unit's cost over `days` days."""
        return self.one_off + self.per_day * days


class Costs(BaseModel):
    """Unit costs per resource; a resource without a cost cannot be bought by `optimise`."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    currency: str = "VND million"
    """Only a label for tables and plots."""
    station_bed: UnitCost | None = None
    hospital_tier1_bed: UnitCost | None = None
    oxygen_bed: UnitCost | None = None
    icu_bed: UnitCost | None = None
    vehicle: UnitCost | None = None
    home_monitoring_slot: UnitCost | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_units(cls, data: Any) -> Any:
        """A misspelt unit ('oxygen_beds') is named with the nearest right one."""
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields:
                    near = difflib.get_close_matches(str(key), list(cls.model_fields), n=1)
                    hint = f"did you mean {near[0]}? " if near else ""
                    raise ValueError(f"'{key}' is not a unit with a cost ({hint}choose from "
                                     f"{', '.join(RESOURCE_OF)}, or currency)")
        return data

    def priced(self) -> dict[str, UnitCost]:
        """The resources with a cost, by field name."""
        return {name: getattr(self, name) for name in RESOURCE_OF if getattr(self, name) is not None}


RESOURCE_OF = {"station_bed": "station_beds", "hospital_tier1_bed": "hospital_tier1_beds",
               "oxygen_bed": "oxygen_beds", "icu_bed": "icu_beds", "vehicle": "ambulances",
               "home_monitoring_slot": "home_monitoring"}
"""Each costed unit and the `capacity_scale` field that sets how many of it there are."""
