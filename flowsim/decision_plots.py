"""Figures of the decision tools (`flowsim bottlenecks --by facility`, `frontier`, `optimise`),
drawn from their result tables."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .plots import TIER_COLOURS  # noqa: E402

KIND_COLOURS = {"station bed": TIER_COLOURS[1], "hospital tier-1 bed": "#7fbf9a", "oxygen bed": TIER_COLOURS[2],
                "ICU bed": TIER_COLOURS[3], "vehicle": "#3b6ea8"}


def unit_bars(ranking: pd.DataFrame, title: str = "") -> Figure:
    """Confirmed single units: deaths averted and deaths while waiting averted with their paired
    95% intervals, beside the screen score. `ranking` is `UnitRanking.ranking`."""
    panels = [("deaths_averted", "deaths averted"), ("deaths_waiting_averted", "deaths while waiting averted"),
              ("screen_score", "screen: waiting one more unit absorbs\n(patient-days per day)")]
    labels = ranking["unit"].tolist()
    ypos = np.arange(len(labels))[::-1]
    colours = [KIND_COLOURS.get(k, "#888") for k in ranking["kind"]]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels) + 2.5, 0.42 * len(labels) + 2),
                             layout="constrained", sharey=True, squeeze=False)
    for ax, (col, name) in zip(axes[0], panels, strict=True):
        value = ranking[col].fillna(0).to_numpy(float)
        if col == "screen_score":
            hw = ranking["screen_score_half_width"].fillna(0).to_numpy(float)
            err = np.vstack([np.minimum(hw, value), hw])
        else:
            err = np.vstack([(value - ranking[f"{col}_lower"]).clip(lower=0).fillna(0),
                             (ranking[f"{col}_upper"] - value).clip(lower=0).fillna(0)])
        ax.barh(ypos, value, xerr=err, color=colours, capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(name, fontsize=10)
    axes[0, 0].set_yticks(ypos, labels)
    fig.suptitle(title or "Where one more unit saves most (paired 95% intervals)")
    return fig
