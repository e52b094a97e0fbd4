"""Figures of what is not known: the posterior predictive check, the marginals against their
priors, and the sensitivity ranking. Each takes tables (or a posterior and its priors)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import plots  # noqa: F401 - sets the Agg backend before pyplot is imported
from .posterior import Posterior
from .priors import Prior


def predictive_plot(table: pd.DataFrame, title: str = "") -> Figure:
    """Each target: the observed value or range (band, ± its uncertainty lighter) and the posterior
    predictive 90% interval with its median, all relative to the observation's middle."""
    import matplotlib.pyplot as plt

    n = len(table)
    fig, ax = plt.subplots(figsize=(9, 0.6 * n + 1.6), layout="constrained")
    for i, r in enumerate(table.itertuples()):
        mid = (r.observed_low + r.observed_high) / 2 or 1.0
        y = n - 1 - i
        ax.fill_betweenx([y - 0.3, y + 0.3], (r.observed_low - r.uncertainty) / mid,
                         (r.observed_high + r.uncertainty) / mid, color="#bbbbbb", alpha=0.35, lw=0)
        ax.fill_betweenx([y - 0.3, y + 0.3], r.observed_low / mid, max(r.observed_high / mid, r.observed_low / mid + 0.004),
                         color="#555555", alpha=0.6, lw=0, label="observed (± uncertainty)" if i == 0 else None)
        ax.plot([r.predictive_p05 / mid, r.predictive_p95 / mid], [y, y], color="#2c6fbb", lw=3,
                label="posterior predictive 90%" if i == 0 else None)
        ax.plot(r.predictive_median / mid, y, "o", color="#2c6fbb", ms=7, label="median" if i == 0 else None)
    ax.set_yticks(range(n))
    ax.set_yticklabels(["\n".join(textwrap.wrap(t, 34)) for t in table["target"][::-1]], fontsize=8)
    ax.axvline(1, color="black", lw=0.8, ls=":")
    for edge in (0.85, 1.15):
        ax.axvline(edge, color="#c0392b", lw=0.6, ls="--")
    ax.set_xlabel("model ÷ observed (middle of the observed range); red: ±15%")
    ax.set_title(title or "Posterior predictive check")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return fig


def marginals_plot(posterior: Posterior, priors: Sequence[Prior]) -> Figure:
    """Each parameter's weighted posterior histogram against its prior density, over its range."""
    import matplotlib.pyplot as plt

    k = len(priors)
    cols = min(3, k)
    rows = math.ceil(k / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 2.6 * rows), layout="constrained", squeeze=False)
    for ax, p in zip(axes.flat, priors, strict=False):
        x = np.linspace(p.low, p.high, 200)
        if p.field in posterior.samples:
            ax.hist(posterior.samples[p.field], bins=15, range=(p.low, p.high), weights=posterior.weights,
                    density=True, color="#2c6fbb", alpha=0.6, label="posterior")
        ax.plot(x, p.pdf(x), color="black", lw=1.2, label="prior")
        ax.set_title("\n".join(textwrap.wrap(p.field, 40)), fontsize=8)
        ax.set_xlim(p.low, p.high)
        ax.set_yticks([])
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Posterior marginals against their priors (each over its stated range)")
    return fig


def sensitivity_bars(table: pd.DataFrame, title: str = "") -> Figure:
    """Morris μ* (mean absolute elementary effect, in the figure's unit, over the whole range) per
    parameter, one panel per figure, largest first, with its bootstrap interval."""
    import matplotlib.pyplot as plt

    figures = list(table["figure"].drop_duplicates())
    cols = min(3, len(figures))
    rows = math.ceil(len(figures) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 0.35 * table["parameter"].nunique() * rows + 1.8 * rows),
                             layout="constrained", squeeze=False)
    for ax, name in zip(axes.flat, figures, strict=False):
        t = table[table["figure"] == name].sort_values("mu_star")
        ax.barh(t["parameter"], t["mu_star"], xerr=t["mu_star_conf"], color="#e0a030")
        ax.set_title(name, fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel("μ* (figure's unit, over the range)", fontsize=8)
    for ax in list(axes.flat)[len(figures):]:
        ax.set_visible(False)
    fig.suptitle(title or "Which unknown matters: Morris screening")
    return fig
