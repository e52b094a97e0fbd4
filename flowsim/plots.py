"""Figures drawn from result tables (never from the simulation's internals)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

TIER_COLOURS = {1: "#4c9f70", 2: "#e0a030", 3: "#c0392b"}


def overview(timeseries: pd.DataFrame, title: str = "") -> Figure:
    """Census by tier, queues, and oxygen / ICU occupancy against capacity, over time (days)."""
    ts = timeseries
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True, layout="constrained")
    ax = axes[0, 0]
    for tier in (1, 2, 3):
        ax.plot(ts["time"], ts[f"census_tier{tier}"], color=TIER_COLOURS[tier], label=f"tier {tier}")
    ax.set_yscale("symlog", linthresh=100)
    ax.set_title("Patients in care by tier (clinical need)")
    ax.set_ylabel("patients")
    ax.legend(loc="upper left")

    ax = axes[0, 1]
    for tier in (1, 2, 3):
        if ts[f"queue_tier{tier}"].any():
            ax.plot(ts["time"], ts[f"queue_tier{tier}"], color=TIER_COLOURS[tier], label=f"waiting for tier-{tier} bed")
    if "calls_waiting" in ts and ts["calls_waiting"].any():
        ax.plot(ts["time"], ts["calls_waiting"], color="#2c6fbb", label="calls waiting for an ambulance")
    ax.plot(ts["time"], ts["deaths_waiting"].cumsum(), color="black", ls="--", label="died waiting (cumulative)")
    ax.set_title("Waiting for a bed or a vehicle")
    ax.set_ylabel("patients")
    ax.legend(loc="upper left")

    for ax, tier, name in ((axes[1, 0], 2, "Oxygen beds (tier 2)"), (axes[1, 1], 3, "ICU beds (tier 3)")):
        cap = ts[f"capacity_tier{tier}"]
        ax.fill_between(ts["time"], 0, ts[f"occupied_tier{tier}"], color=TIER_COLOURS[tier], alpha=0.5, label="occupied")
        ax.plot(ts["time"], cap, color="black", lw=1, label="capacity")
        full = ts[f"occupied_tier{tier}"] >= cap
        if full.any() and cap.iloc[0] > 0:
            ax.fill_between(ts["time"], 0, cap, where=full, color="red", alpha=0.12, label="all full", step="mid")
        ax.set_title(name)
        ax.set_xlabel("day")
        ax.set_ylabel("beds")
        ax.legend(loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


def save(fig: Figure, path: str) -> None:
    fig.savefig(path, dpi=110)
    plt.close(fig)


def occupancy_heatmap(occupancy: pd.DataFrame, tier: int, title: str = "") -> Figure:
    """Share of beds taken per facility (rows) over time (columns), for one tier: where and when
    pools are full."""
    occ = occupancy[(occupancy["tier"] == tier) & (occupancy["capacity"] > 0)].copy()
    fig, ax = plt.subplots(figsize=(12, max(3.0, 0.22 * occ["facility"].nunique() + 1.5)), layout="constrained")
    if occ.empty:
        ax.text(0.5, 0.5, f"no tier-{tier} beds in this scenario", ha="center", va="center")
        ax.set_axis_off()
        return fig
    occ["share"] = occ["occupied"] / occ["capacity"]
    grid = occ.pivot_table(index="facility", columns="time", values="share", aggfunc="mean")
    grid = grid.loc[grid.mean(axis=1).sort_values(ascending=False).index]
    times = grid.columns.to_numpy(float)
    image = ax.imshow(grid.to_numpy(), aspect="auto", cmap="RdYlGn_r", vmin=0, vmax=1, interpolation="nearest",
                      extent=(times[0], times[-1], len(grid) - 0.5, -0.5))
    ax.set_yticks(range(len(grid)), grid.index, fontsize=7)
    ax.set_xlabel("day")
    fig.colorbar(image, ax=ax, label="share of beds taken (1 = full)")
    ax.set_title(title or f"Tier-{tier} occupancy by facility")
    return fig


def resource_ranking(resources: pd.DataFrame) -> Figure:
    """Pools ranked by the share of time they were entirely full, with their utilisation."""
    pools = resources[(resources["level"] == "pool") & (resources["capacity"] > 0)].copy()
    pools = pools.sort_values("share_time_full")
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(pools) + 1.5), layout="constrained")
    y = range(len(pools))
    ax.barh(y, pools["share_time_full"].fillna(0) * 100, color="#c0392b", label="time entirely full")
    ax.plot(pools["utilisation"].fillna(0) * 100, list(y), "o", color="black", label="mean utilisation")
    ax.set_yticks(list(y), pools["resource"])
    ax.set_xlabel("% of the time")
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right")
    ax.set_title("Which resources hold patients back")
    return fig


def held_back(transfers: pd.DataFrame) -> Figure:
    """Transfers by what delayed them: the bed, the vehicle, both or neither."""
    order = ["none", "bed", "vehicle", "both"]
    counts = transfers["held_back_by"].value_counts().reindex(order, fill_value=0) if len(transfers) else pd.Series(0, order)
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    colours = ["#4c9f70", "#e0a030", "#2c6fbb", "#c0392b"]
    ax.bar(order, counts.to_numpy(), color=colours)
    total = max(int(counts.sum()), 1)
    for i, v in enumerate(counts.to_numpy()):
        ax.text(i, v, f"{v / total:.0%}", ha="center", va="bottom")
    ax.set_ylabel("transfers")
    ax.set_title("What held transfers back")
    return fig


def network_map(scenario, resources: pd.DataFrame) -> Figure:  # noqa: ANN001 - a Scenario
    """Districts (circles by population), facilities coloured by their busiest pool's mean
    utilisation, and ambulance bases (triangles). Coordinates only: no map tiles needed."""
    fig, ax = plt.subplots(figsize=(8, 8), layout="constrained")
    d = pd.DataFrame([{"name": x.name, "lat": x.lat, "lon": x.lon, "pop": x.population} for x in scenario.districts])
    ax.scatter(d["lon"], d["lat"], s=d["pop"] / d["pop"].max() * 900, color="#dddddd", edgecolor="#999999", zorder=1)
    for r in d.itertuples():
        ax.annotate(r.name, (r.lon, r.lat), fontsize=7, ha="center", va="center", color="#555555", zorder=2)
    centroid = {x.name: (x.lat, x.lon) for x in scenario.districts}
    wards = resources[resources["level"] == "ward"]
    load = wards.groupby("facility")["utilisation"].max()
    rows = []
    for f in scenario.facilities:
        lat, lon = (f.lat, f.lon) if f.lat is not None else centroid[f.district]
        rows.append({"lat": lat, "lon": lon, "kind": f.kind, "load": load.get(f.name, float("nan")),
                     "beds": f.beds.tier1 + f.beds.tier2 + f.beds.tier3})
    fac = pd.DataFrame(rows)
    for kind, marker in (("hospital", "s"), ("station", "o")):
        sub = fac[fac["kind"] == kind]
        if len(sub):
            sc = ax.scatter(sub["lon"], sub["lat"], c=sub["load"], cmap="RdYlGn_r", vmin=0, vmax=1, marker=marker,
                            s=60 if kind == "hospital" else 30, edgecolor="black", zorder=3, label=kind)
    if len(fac):
        fig.colorbar(sc, ax=ax, shrink=0.6, label="mean utilisation of the facility's busiest pool")
    if scenario.ambulances is not None:
        bases = [(b.lat, b.lon) if b.lat is not None else centroid[b.district] for b in scenario.ambulances.bases]
        ax.scatter([b[1] for b in bases], [b[0] for b in bases], marker="^", s=90, color="#2c6fbb",
                   edgecolor="black", zorder=4, label="ambulance base")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_aspect(1 / 0.93)  # ≈ cos(21°): degrees of longitude are shorter
    ax.legend(loc="upper left")
    ax.set_title(f"{scenario.name}: facilities and ambulance bases")
    return fig
