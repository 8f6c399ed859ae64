"""Robustness sweeps in a run's reports: per axis and level, success with its Wilson interval,
and the paired test against the nominal task (the same episode seeds, so episode i of a level
and of the nominal task start from the same seed): McNemar's exact test on the discordant
episodes, Holm-adjusted across every level of the task's sweep (all its axes), a sensitivity
plot per axis, and one camera frame per visual level (media/<task>/frame.png).

Reads only the manifest's task cards (their `variation`) and the records, like report.py.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import pandas as pd

from ..stats import rates as stats
from ..records.rundir import EpisodeRecord

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


def _pct(x: Any) -> str:
    return "n/a" if pd.isna(x) else f"{100 * x:.1f}%"


def _p(x: Any) -> str:
    return "" if pd.isna(x) else ("<0.001" if x < 0.001 else f"{x:.3f}")


def _cells(r: Any) -> list[str]:
    nominal = r.level == "nominal"
    return [r.task, r.axis, r.kind, r.level, f"{r.successes}/{r.n}", _pct(r.rate), f"[{_pct(r.ci_low)}, {_pct(r.ci_high)}]",
            "" if nominal else f"{int(r.nominal_only)} / {int(r.level_only)}", "" if nominal else _p(r.p_mcnemar),
            "" if nominal else _p(r.p_holm)]


HEADER = ["task", "axis", "kind", "level", "success", "rate", "95% CI", "discordant (nominal only / level only)",
          "McNemar p", "Holm p"]
NOTE = ("Each level runs the nominal task's episode seeds; discordant pairs are episodes that succeeded under one "
        "of the two only. McNemar's exact test (two-sided) on them; Holm across all levels of the task's sweep.")


def sweep_markdown(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in df.itertuples()]
    return "\n".join(lines) + "\n\n" + NOTE + "\n"


def plot_sensitivity(df: pd.DataFrame, path: str | Path | None = None) -> str:
    """One panel per (task, axis): success rate per level with its Wilson interval; levels
    that differ from nominal (Holm p < 0.05) are marked. Returns the PNG as base64."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(df.groupby(["task", "axis"], sort=False))
    cols = min(4, len(groups))
    rows = (len(groups) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False, sharey=True)
    for ax, ((task, axis), g) in zip(axes.flat, groups):
        x = range(len(g))
        err = [(g.rate - g.ci_low).clip(lower=0), (g.ci_high - g.rate).clip(lower=0)]
        colors = ["#777" if lv == "nominal" else "#3b75af" for lv in g.level]
        ax.bar(x, g.rate, color=colors, yerr=err, capsize=3)
        for i, (p, rate) in enumerate(zip(g.p_holm, g.rate)):
            if not pd.isna(p) and p < 0.05:
                ax.text(i, min(1.02, rate + 0.08), "*", ha="center", fontsize=14)
        ax.set_xticks(list(x), list(g.level), rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1.1)
        ax.set_title(f"{axis} ({g.kind.iloc[0]})" + (f"\n{task}" if df.task.nunique() > 1 else ""), fontsize=9)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("success rate")
    fig.suptitle("Success per level (95% Wilson; * Holm p < 0.05 vs nominal)", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    if path is not None:
        Path(path).write_bytes(buf.getvalue())
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _frame(run_dir: Path, task: str, label: str) -> str:
    f = run_dir / "media" / task / "frame.png"
    if not f.is_file():
        return ""
    b64 = base64.b64encode(f.read_bytes()).decode("ascii")
    return (f'<figure style="display:inline-block;margin:0.3em"><img class="frame" style="height:140px" '
            f'alt="{html.escape(label)}" src="data:image/png;base64,{b64}"><figcaption>{html.escape(label)}</figcaption></figure>')


def sweep_html(df: pd.DataFrame, run_dir: Path, png_b64: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(r)) + "</tr>" for r in df.itertuples())
    frames = []
    for (task, axis), g in df[df.kind == "visual"].groupby(["task", "axis"], sort=False):
        figs = [_frame(run_dir, task if lv == "nominal" else f"{task}@{axis}={lv}", f"{axis}={lv}") for lv in g.level]
        if any(figs):
            frames.append(f"<h3>{html.escape(task)}: {html.escape(axis)}</h3>" + "".join(figs))
    return (f'<h2>Robustness sweep</h2><table id="sweep-table"><tr>{head}</tr>{body}</table><p class="note">{html.escape(NOTE)}</p>'
            f'<img class="plot" alt="sensitivity per axis" src="data:image/png;base64,{png_b64}">'
            + ("<h2>Visual levels (first frame of episode 0)</h2>" + "".join(frames) if frames else ""))
