"""Rendering only: per-run summaries and cross-run comparisons as Markdown, CSV, HTML and
plots. The numbers come from `arena_eval.stats.summary` (records read from disk, never simulator or
policy objects), so a report can be rebuilt anywhere from a run dir.

Per run (`write_reports`): summary.json, summary.csv, summary.md and a self-contained
report.html (inline CSS, plots as base64 PNG). Across runs: `compare_report`, with the
formatting helpers here.

What counts and how runs pair: see `arena_eval.stats.summary`.
"""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..records import EpisodeRecord, code_change_text, load_task_records, write_json_atomic
from ..stats import SUITE_ROW, json_clean, summarize_loaded, summary_frame
from .format import (
    esc,
    fmt_ci,
    fmt_num,
    fmt_pct,
    html_table,
    is_nan,
    join,
    md_table,
    new_figure,
    page,
    plural,
    png_b64,
    rate_bars,
    sfe,
    task_ticks,
    write_text_atomic,
)

MAX_INLINE_VIDEO_BYTES = 2 * 1024 * 1024  # larger videos are linked, not embedded
OUTCOME_COLOURS = {"success": "#2e9d5b", "failure": "#d1495b", "error": "#9a9a9a"}


# ---------------------------------------------------------------------------------------
# Loading


# ---------------------------------------------------------------------------------------
# One run: numbers


# ---------------------------------------------------------------------------------------
# Formatting


def _episodes_text(s: dict[str, Any]) -> str:
    planned = s.get("planned")
    if planned is not None and s["episodes"] != planned:
        return f"{s['episodes']} of {planned}"
    return str(s["episodes"])


SUMMARY_HEADER = ("task", "rule", "episodes", "success rate", "95% CI", "S/F/E", "mean length")


def _summary_rows(summary: dict[str, Any]) -> list[list[str]]:
    rows = [
        [t["task"], t.get("rule", ""), _episodes_text(t), fmt_pct(t["success_rate"]), fmt_ci(t["ci_low"], t["ci_high"]),
         sfe(t), fmt_num(t["length"]["mean"])]
        for t in summary["tasks"]
    ]
    s = summary["suite"]
    rows.append([SUITE_ROW, "", str(s["episodes"]), fmt_pct(s["success_rate"]), fmt_ci(s["ci_low"], s["ci_high"]),
                 sfe(s), ""])
    return rows


CODES_HEADER = ("task", "code", "outcome", "episodes", "share", "meaning")


def _codes_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Why episodes ended, per task (outcomes.py's codes), most frequent first."""
    from ..outcomes import ERROR_CODES, describe

    rows = []
    for t in summary["tasks"]:
        for code, n in (t.get("codes") or {}).items():
            outcome = "success" if code == "success" else "error" if code in ERROR_CODES else "failure"
            rows.append([t["task"], code, outcome, str(n), fmt_pct(n / t["episodes"]) if t["episodes"] else "",
                         describe(code)])
    return rows


FUNNEL_HEADER = ("task", "milestone", "reached", "share of decided episodes")


def _funnel_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Per task, how many decided episodes met each milestone, then the success rule."""
    rows = []
    for t in summary["tasks"]:
        n = t["successes"] + t["failures"]
        if not n or not t.get("milestones"):
            continue
        for name, k in [*t["milestones"].items(), (f"success ({t.get('rule', '')})", t["successes"])]:
            rows.append([t["task"], name, f"{k}/{n}", fmt_pct(k / n)])
    return rows


def _warnings(summary: dict[str, Any]) -> list[str]:
    out = []
    for t in summary["tasks"]:
        if not t["complete"]:
            out.append(f"{t['task']}: incomplete, {t['episodes']} of {t['planned']} planned episodes recorded "
                       "(the rate is biased towards short episodes; resume the run)")
        if t["errors"]:
            out.append(f"{t['task']}: {plural(t['errors'], 'error episode')}, excluded from the rate")
    if summary.get("unplanned_records_ignored"):
        out.append(f"{summary['unplanned_records_ignored']} record(s) outside the plan were ignored")
    if (summary.get("code_identity") or {}).get("changed"):
        out.append(code_change_text(summary["code_identity"]))
    return out


def summary_markdown(summary: dict[str, Any]) -> str:
    run, suite = summary["run"], summary["suite"]
    lines = [
        f"# {run['run_id']}",
        "",
        f"Suite `{run['suite']}`, policy `{run['policy']}` ({run['policy_type']}), seed {run['seed']}, "
        f"git {run['git']}.",
        "",
        md_table(SUMMARY_HEADER, _summary_rows(summary)),
        "",
        f"Success rate = successes / (successes + failures); errors are counted separately (S/F/E). "
        f"95% Wilson intervals. Mean of per-task rates: {fmt_pct(suite['mean_task_rate'])}.",
    ]
    warnings = _warnings(summary)
    if warnings:
        lines += ["", *[f"- **warning**: {w}" for w in warnings]]
    codes, funnel = _codes_rows(summary), _funnel_rows(summary)
    if codes:
        lines += ["", "## Why episodes ended", "", md_table(CODES_HEADER, codes)]
    if funnel:
        lines += ["", "## Milestones", "", md_table(FUNNEL_HEADER, funnel),
                  "", "Each milestone counts the decided episodes that met it at least once (arena_eval/envs/tasks/milestones.py)."]
    seq = summary.get("sequential")
    if seq:
        lines += ["", "## Sequential decision", "", f"Against `{seq['baseline']}`, {seq['episodes_per_task']} episodes per "
                  f"task: {seq['verdict']} (the evidence: sequential/gate.md, sequential/evidence.png)."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Plots (matplotlib's Figure API with the Agg canvas: no pyplot global state)


def plot_success_rates(summary: dict[str, Any]) -> str:
    """Bar chart of success rate per task (and pooled) with Wilson error bars; base64 PNG."""
    items = summary["tasks"] + [{**summary["suite"], "task": SUITE_ROW}]
    labels = [s["task"] for s in items]
    fig = new_figure(max(5.0, 1.1 * len(items) + 2), 3.8)
    ax = fig.add_subplot()
    colours = ["#3b75af"] * len(summary["tasks"]) + ["#222222"]
    rate_bars(ax, labels, items, range(len(items)), 0.6, color=colours, ecolor="#444444")
    for i, s in enumerate(items):
        n = s["successes"] + s["failures"]
        inside = not is_nan(s["success_rate"]) and s["success_rate"] >= 0.08  # else the bar is too short for text
        ax.text(i, 0.02, f"{s['successes']}/{n}", ha="center", va="bottom", fontsize=8,
                color="white" if inside else "#222222")
    task_ticks(ax, range(len(items)), labels)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("success rate")
    ax.set_title("Success rate per task (95% Wilson interval)")
    ax.grid(axis="y", alpha=0.3)
    return png_b64(fig)


def plot_lengths(summary: dict[str, Any], by_task: dict[str, list[EpisodeRecord]]) -> str:
    """Episode-length histogram per task, stacked by outcome; base64 PNG."""
    tasks = summary["tasks"]
    cols = min(3, max(1, len(tasks)))
    rows = math.ceil(len(tasks) / cols) or 1
    from matplotlib.ticker import MaxNLocator

    fig = new_figure(4.2 * cols, 2.8 * rows + 0.6, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, t in zip(axes.flat, tasks):
        recs = by_task.get(t["task"], [])
        steps = {o: [r.steps for r in recs if r.outcome == o] for o in OUTCOME_COLOURS}
        top = max([t.get("max_steps") or 0] + [max(v) for v in steps.values() if v]) or 1
        edges = np.histogram_bin_edges([], bins=min(30, int(top) + 1), range=(0, top))
        bottom = np.zeros(len(edges) - 1)
        # Stacked stairs: one artist per outcome (ax.hist draws a patch per bin and is slow).
        for outcome, colour in OUTCOME_COLOURS.items():
            counts = np.histogram(steps[outcome], bins=edges)[0]
            ax.stairs(bottom + counts, edges, baseline=bottom.copy(), fill=True, color=colour, label=outcome)
            bottom = bottom + counts
        ax.set_ylim(0, max(1.0, bottom.max() * 1.1))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(t["task"], fontsize=10)
        ax.set_xlabel("steps")
        ax.set_ylabel("episodes")
    for ax in list(axes.flat)[len(tasks):]:
        ax.set_visible(False)
    fig.suptitle("Episode length by outcome")
    # One legend for all panels, outside them, so it never hides a bar.
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=9, frameon=False)
    return png_b64(fig)


# ---------------------------------------------------------------------------------------
# Media hook: media/<task>/frame.png and media/<task>/*.mp4 beside a task's row


def task_media(run_dir: str | Path, task: str) -> dict[str, Any]:
    """Frame and videos a run dir holds for a task: {"frame": Path|None, "videos": [Path]}."""
    folder = Path(run_dir) / "media" / task
    frame = folder / "frame.png"
    return {
        "frame": frame if frame.is_file() else None,
        "videos": sorted(folder.glob("*.mp4")) if folder.is_dir() else [],
    }


def _media_html(run_dir: Path, task: str) -> str:
    media = task_media(run_dir, task)
    parts = []
    if media["frame"] is not None:
        b64 = base64.b64encode(media["frame"].read_bytes()).decode("ascii")
        parts.append(f'<img class="frame" alt="{html.escape(task)} frame" src="data:image/png;base64,{b64}">')
    for v in media["videos"]:
        if v.stat().st_size <= MAX_INLINE_VIDEO_BYTES:
            src = "data:video/mp4;base64," + base64.b64encode(v.read_bytes()).decode("ascii")
            parts.append(f'<video class="video" controls muted preload="metadata" src="{src}"></video>')
        else:  # too big to inline: link it relative to report.html, which sits in the run dir
            rel = html.escape(v.relative_to(run_dir).as_posix())
            parts.append(f'<video class="video" controls muted preload="metadata" src="{rel}"></video>'
                         f'<a class="video-link" href="{rel}">{html.escape(v.name)}</a>')
    return "".join(parts)


# ---------------------------------------------------------------------------------------
# HTML


def _info_rows(summary: dict[str, Any]) -> list[list[str]]:
    run, timing = summary["run"], summary["timing"]
    num_envs = run["num_envs"]
    if isinstance(num_envs, dict):
        num_envs = ", ".join(f"{k}: {v}" for k, v in num_envs.items())
    rows = [
        ["run", run["run_id"]],
        ["policy", f"{run['policy']} ({run['policy_type']})"],
        ["checkpoint", f"{run['checkpoint'] or '-'}" + (f" (sha256 {run['checkpoint_sha256'][:12]})" if run["checkpoint_sha256"] else "")],
        ["suite", run["suite"]],
        ["num_envs", num_envs],
        ["seed", run["seed"]],
        ["git revision", run["git"]],
        ["device", join(run["device"])],
    ]
    if run.get("backend"):
        rows.append(["backend", join(run["backend"])])
    if run.get("created"):
        rows.append(["created", run["created"]])
    if timing:
        fr = timing.get("fractions") or {}
        split = ", ".join(
            f"{name} {timing.get(name + '_s', 0.0):.1f} s ({100 * fr[name]:.0f}%)" if name in fr
            else f"{name} {timing.get(name + '_s', 0.0):.1f} s"
            for name in ("sim", "policy", "harness")
        )
        rows.append(["wall time", f"{timing.get('wall_s', 0.0):.1f} s"])
        rows.append(["time split", split])
    else:
        rows.append(["timing", "not recorded"])
    versions = run.get("versions") or {}
    if versions:
        rows.append(["versions", ", ".join(f"{k} {v}" for k, v in versions.items())])
    return [[str(a), "" if b is None else str(b)] for a, b in rows]


def _reasons_html(summary: dict[str, Any]) -> str:
    rows = []
    for t in summary["tasks"]:
        for reason, n in t["failure_reasons"].items():
            rows.append([t["task"], "failure", reason, str(n)])
        for reason, n in t["error_reasons"].items():
            rows.append([t["task"], "error", reason.splitlines()[0][:200] if reason else "", str(n)])
    if not rows:
        return '<p class="note">No failures or errors.</p>'
    return html_table(("task", "outcome", "reason", "episodes"), rows, left_cols=(0, 1, 2))


def _sequential_html(seq: dict[str, Any] | None, run_dir: Path) -> str:
    """The decision of `evaluate.py --against --sequential`, with its evidence plot."""
    if not seq:
        return ""
    gate = run_dir / "sequential" / "gate.md"
    text = gate.read_text().strip().strip("`").strip() if gate.is_file() else seq["verdict"]
    png = run_dir / "sequential" / "evidence.png"
    img = (f'<img class="plot" alt="sequential evidence" src="data:image/png;base64,'
           f'{base64.b64encode(png.read_bytes()).decode("ascii")}">') if png.is_file() else ""
    return (f'<h2>Sequential decision</h2><p class="headline">{esc(seq["verdict"])}</p>'
            f'<pre class="note">{esc(text)}</pre>{img}')


def render_html(summary: dict[str, Any], by_task: dict[str, list[EpisodeRecord]], run_dir: str | Path) -> str:
    run_dir = Path(run_dir)
    run, suite = summary["run"], summary["suite"]
    media = {t["task"]: _media_html(run_dir, t["task"]) for t in summary["tasks"]}
    has_media = any(media.values())
    header = list(SUMMARY_HEADER) + (["media"] if has_media else [])
    rows = _summary_rows(summary)
    if has_media:
        rows = [r + [media.get(r[0], "") if i < len(summary["tasks"]) else ""] for i, r in enumerate(rows)]
    classes = [""] * len(summary["tasks"]) + ["suite first"]
    table = html_table(header, rows, table_id="summary-table", row_classes=classes,
                        raw_cols={len(header) - 1} if has_media else set())
    warnings = "".join(f'<p class="warn">{esc(w)}</p>' for w in _warnings(summary))
    n = suite["successes"] + suite["failures"]
    headline = (f'<p class="headline">Suite success rate <b>{fmt_pct(suite["success_rate"])}</b> '
                f'{fmt_ci(suite["ci_low"], suite["ci_high"])} over {n} decided episodes '
                f'({plural(suite["errors"], "error")}); mean of per-task rates {fmt_pct(suite["mean_task_rate"])}.</p>')
    plots = ""
    if summary["tasks"]:
        plots = (f'<img class="plot" alt="success rate per task" src="data:image/png;base64,{plot_success_rates(summary)}">'
                 f'<img class="plot" alt="episode length by outcome" src="data:image/png;base64,{plot_lengths(summary, by_task)}">')
    codes, funnel = _codes_rows(summary), _funnel_rows(summary)
    codes_html = html_table(CODES_HEADER, codes, left_cols=(0, 1, 2, 5)) if codes else ""
    funnel_html = (html_table(FUNNEL_HEADER, funnel, left_cols=(0, 1)) if funnel
                   else '<p class="note">The tasks of this run declare no milestones.</p>')
    seq_html = _sequential_html(summary.get("sequential"), run_dir)
    body = f"""
<h1>{esc(run['run_id'])}</h1>
<p class="sub">policy <b>{esc(run['policy'])}</b> on suite <b>{esc(run['suite'])}</b> &middot; seed {esc(run['seed'])}
&middot; git {esc(run['git_short'])} &middot; device {esc(join(run['device']))} (full run details at the end)</p>
{headline}
{warnings}
{seq_html}
<h2>Summary</h2>
{table}
<p class="note">Success rate = successes / (successes + failures); error episodes are counted separately (S/F/E = successes/failures/errors) and never as failures. Intervals are 95% Wilson score intervals; the pooled row pools all decided episodes. Mean length is over decided episodes, in control steps. Rule: when an episode counts as a success (any_step: the first step its condition holds; at_end: the condition holds at the time limit; held: K: it held K steps in a row).</p>
<h2>Plots</h2>
{plots}
<h2>Why episodes ended</h2>
{codes_html}
<h2>Milestones</h2>
{funnel_html}
<h2>Failure and error reasons</h2>
{_reasons_html(summary)}
<h2>Run</h2>
{html_table(("field", "value"), _info_rows(summary), cls="info", left_cols=(0, 1))}
<p class="note">Generated {summary['generated']} by arena-eval from manifest.json and episodes.jsonl.</p>
"""
    return page(f"arena-eval: {run['run_id']}", body)


def write_reports(run_dir: str | Path) -> dict[str, Path]:
    """Write summary.json, summary.csv, summary.md and report.html into the run dir (and for
    a sweep, sweep.csv and sensitivity.png)."""
    from ..stats import sweep_frame
    from .sweep import plot_sensitivity, sweep_html, sweep_markdown

    run_dir = Path(run_dir)
    manifest, by_task, dropped = load_task_records(run_dir)
    summary = summarize_loaded(run_dir, manifest, by_task, dropped)
    paths = {name: run_dir / name for name in ("summary.json", "summary.csv", "summary.md", "report.html")}
    sweep = sweep_frame(manifest, by_task)
    write_json_atomic(paths["summary.json"], json_clean({**summary, **({"sweep": sweep.to_dict("records")} if not sweep.empty else {})}))
    write_text_atomic(paths["summary.csv"], summary_frame(summary).to_csv(index=False))
    md, page = summary_markdown(summary), render_html(summary, by_task, run_dir)
    if not sweep.empty:  # a robustness sweep (--vary): per-level table, paired tests, plot, frames
        paths.update({n: run_dir / n for n in ("sweep.csv", "sensitivity.png")})
        write_text_atomic(paths["sweep.csv"], sweep.to_csv(index=False))
        png = plot_sensitivity(sweep, paths["sensitivity.png"])
        md += "\n## Robustness sweep\n\n" + sweep_markdown(sweep)
        page = page.replace("<h2>Plots</h2>", sweep_html(sweep, run_dir, png) + "\n<h2>Plots</h2>", 1)
    write_text_atomic(paths["summary.md"], md)
    write_text_atomic(paths["report.html"], page)
    return paths


