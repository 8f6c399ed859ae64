"""Robustness sweeps in a run's reports: the table of `stats.sweep_frame` (per axis and level,
success with its Wilson interval and the paired McNemar test against the nominal task, Holm
across the task's levels), a sensitivity plot per axis, and one camera frame per visual level
(media/<task>/frame.png)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pandas as pd

from .format import esc, fmt_ci, fmt_p, fmt_pct, html_table, md_table


def _cells(r: Any) -> list[str]:
    nominal = r.level == "nominal"
    return [r.task, r.axis, r.kind, r.level, f"{r.successes}/{r.n}", fmt_pct(r.rate), fmt_ci(r.ci_low, r.ci_high),
            "" if nominal else f"{int(r.nominal_only)} / {int(r.level_only)}", "" if nominal else fmt_p(r.p_mcnemar),
            "" if nominal else fmt_p(r.p_holm)]


HEADER = ["task", "axis", "kind", "level", "success", "rate", "95% CI", "discordant (nominal only / level only)",
          "McNemar p", "Holm p"]
NOTE = ("Each level runs the nominal task's episode seeds; discordant pairs are episodes that succeeded under one "
        "of the two only. McNemar's exact test (two-sided) on them; Holm across all levels of the task's sweep.")


def sweep_markdown(df: pd.DataFrame) -> str:
    return md_table(HEADER, [_cells(r) for r in df.itertuples()]) + "\n\n" + NOTE + "\n"


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
            f'alt="{esc(label)}" src="data:image/png;base64,{b64}"><figcaption>{esc(label)}</figcaption></figure>')


def sweep_html(df: pd.DataFrame, run_dir: Path, png_b64: str) -> str:
    table = html_table(HEADER, [_cells(r) for r in df.itertuples()], table_id="sweep-table", left_cols=(0, 1, 2, 3))
    frames = []
    for (task, axis), g in df[df.kind == "visual"].groupby(["task", "axis"], sort=False):
        figs = [_frame(run_dir, task if lv == "nominal" else f"{task}@{axis}={lv}", f"{axis}={lv}") for lv in g.level]
        if any(figs):
            frames.append(f"<h3>{esc(task)}: {esc(axis)}</h3>" + "".join(figs))
    return (f'<h2>Robustness sweep</h2>{table}<p class="note">{esc(NOTE)}</p>'
            f'<img class="plot" alt="sensitivity per axis" src="data:image/png;base64,{png_b64}">'
            + ("<h2>Visual levels (first frame of episode 0)</h2>" + "".join(frames) if frames else ""))
