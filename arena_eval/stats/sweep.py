"""Robustness sweeps as numbers: per task, axis and level, success with its Wilson interval and
the paired test against the nominal task (a level runs the nominal task's episode seeds, so
episode i of both starts from the same seed): McNemar's exact test on the discordant episodes,
Holm-adjusted across every level of the task's sweep (all its axes). Reads the manifest's task
cards (their `variation`) and the records."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..records import EpisodeRecord
from . import rates as stats

COLUMNS = ["task", "axis", "kind", "level", "successes", "n", "rate", "ci_low", "ci_high", "pairs",
           "nominal_only", "level_only", "p_mcnemar", "p_holm"]


COUNTS = ["successes", "n", "pairs", "nominal_only", "level_only"]



def _decided(recs: list[EpisodeRecord]) -> dict[int, bool]:
    return {r.episode: r.outcome == "success" for r in recs if r.outcome != "error"}


def sweep_frame(manifest: dict[str, Any], by_task: dict[str, list[EpisodeRecord]]) -> pd.DataFrame:
    """One row per (base task, axis, level), the nominal level first on each axis; empty
    without derived tasks."""
    derived = [(t["name"], t["variation"]) for t in (manifest.get("suite") or {}).get("tasks", []) if t.get("variation")]
    rows: list[dict[str, Any]] = []
    for base in dict.fromkeys(v["base"] for _, v in derived):
        nominal = _decided(by_task.get(base, []))
        axes: dict[str, list[tuple[str, dict]]] = {}
        for name, v in derived:
            if v["base"] == base:
                axes.setdefault(v["axis"], []).append((name, v))
        first = len(rows)
        for axis, levels in axes.items():
            k = sum(nominal.values())
            rows.append({"task": base, "axis": axis, "kind": levels[0][1].get("kind", ""), "level": "nominal",
                         "successes": k, "n": len(nominal), "rate": stats.rate(k, len(nominal) - k),
                         **dict(zip(("ci_low", "ci_high"), stats.wilson(k, len(nominal))))})
            for name, v in levels:
                out = _decided(by_task.get(name, []))
                keys = nominal.keys() & out.keys()
                b = sum(nominal[e] and not out[e] for e in keys)
                c = sum(out[e] and not nominal[e] for e in keys)
                k = sum(out.values())
                rows.append({"task": base, "axis": axis, "kind": v.get("kind", ""), "level": v["level"], "successes": k,
                             "n": len(out), "rate": stats.rate(k, len(out) - k),
                             **dict(zip(("ci_low", "ci_high"), stats.wilson(k, len(out)))),
                             "pairs": len(keys), "nominal_only": b, "level_only": c,
                             "p_mcnemar": stats.mcnemar_exact(b, c)[0] if keys else float("nan")})
        tested = [i for i in range(first, len(rows)) if rows[i]["level"] != "nominal"]
        for i, p in zip(tested, stats.holm([rows[i]["p_mcnemar"] for i in tested])):
            rows[i]["p_holm"] = p
    # Counts stay integers (the nominal rows have no pairs: a float column would write 8.0 to
    # summary.json and sweep.csv); pandas' nullable Int64 writes them as ints and null.
    return pd.DataFrame(rows, columns=COLUMNS).astype({c: "Int64" for c in COUNTS})
