"""The experiment directory: a manifest, the exact scenarios, one file per finished replication.

An experiment that dies at hour three must not start over. Each replication is written the
moment it finishes, atomically (a temporary file renamed into place), so a Ctrl-C, a killed
worker or a crash loses at most the replications still running. `resume` then runs only the
missing ones (none twice), and refuses a directory made from a different config, seed, kind of
experiment or flowsim version: mixing those would silently mix different models.

    DIR/manifest.yaml              what the experiment is: kind, seed, flowsim version, config hash
    DIR/scenarios/000.yaml         each scenario exactly as it ran (loads back with load_scenario)
    DIR/replications/000-0007.json scenario 0, replication 7: summary row, pool statistics, ...

The config hash covers everything that changes the numbers: each scenario's fields except its
name, description and presets, and the seed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ._version import __version__
from .config import Scenario, to_yaml
from .errors import InputError

MANIFEST = "manifest.yaml"
SCENARIOS = "scenarios"
REPLICATIONS = "replications"
IGNORED_FIELDS = ("name", "description", "presets")
"""Scenario fields that do not change a run's numbers, left out of the config hash."""
HINT = "use another `store`, or `overwrite=True` to discard it"
"""What to do with a directory that cannot be resumed."""


class StoreError(InputError):
    """An experiment directory cannot be used as asked: one line naming the argument (`store`,
    `resume`) and the reason."""


def flowsim_version() -> str:
    return __version__


def model_fields(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data (as written to YAML), without the fields that change no number."""
    data = yaml.safe_load(to_yaml(scenario))
    for name in IGNORED_FIELDS:
        data.pop(name, None)
    return data


def config_hash(kind: str, seed: int, scenarios: Sequence[Scenario]) -> str:
    """sha256 of the experiment's kind, seed and scenarios (canonical JSON), as hex."""
    text = json.dumps({"kind": kind, "seed": int(seed), "scenarios": [model_fields(s) for s in scenarios]},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def first_difference(old: Any, new: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first field path where two plain-data configs differ, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in new or key not in old:
                return (f"{path}.{key}" if path else str(key), old.get(key, "(absent)"), new.get(key, "(absent)"))
            found = first_difference(old[key], new[key], f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return (path, f"{len(old)} items", f"{len(new)} items")
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            name = f" ({a['name']})" if isinstance(a, dict) and "name" in a else ""
            found = first_difference(a, b, f"{path}[{i}]{name}")
            if found:
                return found
        return None
    return None if old == new else (path or "(top level)", old, new)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def replication_file(scenario: int, replication: int) -> str:
    return f"{scenario:03d}-{replication:04d}.json"


class ExperimentStore:
    """A directory holding one experiment's replications as they finish. Open with `open`."""

    def __init__(self, path: Path, manifest: dict[str, Any], saved: dict[tuple[int, int], dict]) -> None:
        self.path = path
        self.manifest = manifest
        self.saved = saved
        """Replications already on disk, by (scenario index, replication): as `save` wrote them."""

    @property
    def config_hash(self) -> str:
        return self.manifest["config_hash"]

    @classmethod
    def open(cls, path: str | Path, kind: str, seed: int, scenarios: Sequence[Scenario], labels: Sequence[str],
             resume: bool = False, overwrite: bool = False, plan: dict[str, Any] | None = None) -> ExperimentStore:
        """Start an experiment in `path`, or with `resume` continue the one there.

        Without `resume`, a finished experiment in `path` is replaced; an unfinished one is kept
        and refused (add `resume` to finish it, or `overwrite` to discard it), so a forgotten
        flag never throws hours of runs away.
        """
        path = Path(path)
        digest = config_hash(kind, seed, scenarios)
        old = None if overwrite else _read_manifest(path)
        if old is not None:
            if resume:
                _check_same(path, old, kind, seed, scenarios, labels, digest)
                for tmp in (path / REPLICATIONS).glob("*.tmp"):
                    tmp.unlink(missing_ok=True)
                saved = _load_saved(path, digest, len(scenarios))
                manifest = {**old, "updated": _now(), "complete": False, **({"plan": plan} if plan else {})}
                _write_atomic(path / MANIFEST, yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
                return cls(path, manifest, saved)
            n_saved = len(list((path / REPLICATIONS).glob("*.json")))
            if not old.get("complete") and n_saved:
                raise StoreError.at("store", f"holds an unfinished experiment ({n_saved} replications saved); "
                                    "add `resume=True` to finish it, or `overwrite=True` to discard it", path)
        _clear(path)
        (path / SCENARIOS).mkdir(parents=True, exist_ok=True)
        (path / REPLICATIONS).mkdir(parents=True, exist_ok=True)
        files = []
        for i, scenario in enumerate(scenarios):
            name = f"{SCENARIOS}/{i:03d}.yaml"
            _write_atomic(path / name, to_yaml(scenario))
            files.append({"index": i, "label": labels[i], "file": name})
        manifest = {
            "flowsim_version": flowsim_version(),
            "kind": kind,
            "seed": int(seed),
            "config_hash": digest,
            "created": _now(),
            "updated": _now(),
            "complete": False,
            "scenarios": files,
            **({"plan": plan} if plan else {}),
        }
        _write_atomic(path / MANIFEST, yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
        return cls(path, manifest, {})

    def save(self, record: dict[str, Any]) -> None:
        """Write one finished replication (a JSON-able dict with `scenario` and `replication`)."""
        key = (int(record["scenario"]), int(record["replication"]))
        body = {**record, "config_hash": self.config_hash}
        _write_atomic(self.path / REPLICATIONS / replication_file(*key), json.dumps(body))
        self.saved[key] = record

    def finish(self, **info: Any) -> None:
        """Mark the experiment complete (a later run without `resume` may replace it)."""
        self.manifest.update(complete=True, updated=_now(), **info)
        _write_atomic(self.path / MANIFEST, yaml.safe_dump(self.manifest, sort_keys=False, allow_unicode=True))


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _read_manifest(path: Path) -> dict[str, Any] | None:
    file = path / MANIFEST
    if not file.exists():
        return None
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise StoreError.at("store", f"{MANIFEST} is unreadable ({exc.__class__.__name__}); {HINT}", path) from None
    if not isinstance(data, dict) or "config_hash" not in data:
        raise StoreError.at("store", f"{MANIFEST} is not a flowsim experiment manifest; {HINT}", path)
    return data


def _check_same(path: Path, old: dict[str, Any], kind: str, seed: int, scenarios: Sequence[Scenario],
                labels: Sequence[str], digest: str) -> None:
    """Refuse to resume an experiment made from anything but this one, saying what differs."""
    if old.get("kind") != kind:
        raise StoreError.at("resume", f"{path} holds a `flowsim {old.get('kind')}` experiment, "
                            f"not `flowsim {kind}`; {HINT}")
    if old.get("flowsim_version") != flowsim_version():
        raise StoreError.at("resume", f"{path} was made by flowsim {old.get('flowsim_version')}, "
                            f"this is {flowsim_version()}; its replications may differ; {HINT}")
    if old.get("seed") != int(seed):
        raise StoreError.at("resume", f"{path} was run with seed {old.get('seed')}, not {seed}; {HINT}")
    if old.get("config_hash") == digest:
        return
    stored = old.get("scenarios") or []
    if len(stored) != len(scenarios):
        raise StoreError.at("resume", f"{path} was made from a different config ({len(stored)} scenarios there, "
                            f"{len(scenarios)} now); {HINT}")
    for i, scenario in enumerate(scenarios):
        try:
            before = yaml.safe_load((path / stored[i]["file"]).read_text(encoding="utf-8"))
        except (OSError, KeyError, TypeError, yaml.YAMLError):
            before = None
        if not isinstance(before, dict):
            break
        for name in IGNORED_FIELDS:
            before.pop(name, None)
        diff = first_difference(before, model_fields(scenario))
        if diff:
            where, was, now = diff
            raise StoreError.at("resume", f"{path} was made from a different config (scenario '{labels[i]}': "
                                f"{where} is {was} there, {now} now); {HINT}")
    raise StoreError.at("resume", f"{path} was made from a different config (config hash "
                        f"{str(old.get('config_hash'))[:12]} there, {digest[:12]} now); {HINT}")


def _load_saved(path: Path, digest: str, n_scenarios: int) -> dict[tuple[int, int], dict]:
    """Replications on disk that belong to this experiment; anything else is ignored."""
    saved: dict[tuple[int, int], dict] = {}
    for file in sorted((path / REPLICATIONS).glob("*.json")):
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
            key = (int(record["scenario"]), int(record["replication"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if record.pop("config_hash", None) != digest or not 0 <= key[0] < n_scenarios:
            continue
        if file.name != replication_file(*key):
            continue
        saved[key] = record
    return saved


def _clear(path: Path) -> None:
    """Remove a previous experiment's own files (never anything else in the directory)."""
    for pattern in (f"{REPLICATIONS}/*.json", f"{REPLICATIONS}/*.tmp", f"{SCENARIOS}/*.yaml", f"{SCENARIOS}/*.tmp",
                    MANIFEST, f"{MANIFEST}.tmp"):
        for file in path.glob(pattern):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
