"""Hash every output table of a fixed set of runs: the proof that a refactor changed no number.

    python benchmarks/table_hashes.py --write out/hashes-before.json   # before the change
    python benchmarks/table_hashes.py --check out/hashes-before.json   # after: exit 1 on any difference

The hashes depend on the numpy/pandas/SimPy versions and the platform, so they are compared on one
machine, before and after, not committed. The set covers the built-in Hanoi scenario (as shipped,
and with its plan_3000 preset), the town, every teaching case, one run with the ambulance fleet off,
and the replication tables (intervals) of the town.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

import flowsim
from flowsim.config import resolve_path

DAYS = 30  # Hanoi: long enough for every pathway, short enough to run in a minute

CASES: dict[str, tuple[str | None, list[str], dict[str, object]]] = {
    # name: (config, presets, overrides)
    "hanoi": (None, [], {"horizon_days": DAYS}),
    "hanoi_plan_3000": (None, ["plan_3000"], {"horizon_days": DAYS}),
    "hanoi_no_ambulances": (None, [], {"horizon_days": DAYS, "ambulances": None}),
    "town": ("town", [], {}),
    "mmc": ("mmc", [], {}),
    "erlang_b": ("erlang_b", [], {}),
    "mginf": ("mginf", [], {}),
    "tandem": ("tandem", [], {}),
    "epidemic": ("epidemic", [], {}),
}


def table_hash(table: pd.DataFrame | None) -> str:
    """Columns, dtypes and every value (index included) in one digest."""
    if table is None:
        return "none"
    h = hashlib.sha256(repr([(str(c), str(t)) for c, t in table.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
    return h.hexdigest()[:16]


def hashes() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, (config, presets, overrides) in CASES.items():
        scenario = flowsim.load_scenario(resolve_path(config) if config else None, overrides, presets)
        r = flowsim.run(scenario, seed=7, replication=1, patients=True, stays=True)
        tables = {"summary": pd.DataFrame([r.summary]), "timeseries": r.timeseries, "occupancy": r.occupancy,
                  "resources": r.resources, "waits": r.waits, "transfers": r.transfers,
                  "patients": r.patients, "stays": r.stays}
        out[name] = {k: table_hash(v) for k, v in tables.items()}
        print(f"{name:>20}: {r.summary['arrivals']:>8,.0f} arrivals, {len(r.waits):>7,} waits", file=sys.stderr)
    reps = flowsim.replicate(flowsim.load_scenario(resolve_path("town")), 4, seed=3, executor="serial",
                             timeseries=True)
    out["town_replications"] = {"table": table_hash(reps.table.drop(columns=["seconds"], errors="ignore")),
                                 "pools": table_hash(reps.pools), "timeseries": table_hash(reps.timeseries),
                                 "intervals": table_hash(reps.intervals)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the hashes to this JSON file")
    group.add_argument("--check", type=Path, help="compare with the hashes in this JSON file")
    args = ap.parse_args()
    now = hashes()
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(json.dumps(now, indent=1, sort_keys=True))
        print(f"wrote {sum(len(v) for v in now.values())} table hashes to {args.write}")
        return
    before = json.loads(args.check.read_text())
    diff = [f"{case}.{table}: {before.get(case, {}).get(table)} -> {h}"
            for case, tables in now.items() for table, h in tables.items() if before.get(case, {}).get(table) != h]
    diff += [f"{case}: missing now" for case in before if case not in now]
    print("\n".join(diff) if diff else f"all {sum(len(v) for v in now.values())} table hashes identical")
    sys.exit(1 if diff else 0)


if __name__ == "__main__":
    main()
