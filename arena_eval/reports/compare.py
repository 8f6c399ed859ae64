"""Rendering of cross-run comparisons (`scripts/compare.py`): compare.md, compare.csv and
compare.html from `stats.compare_table`, with the shared formatting of `format`."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from ..stats import compare_table
from .format import (
    esc,
    fmt_ci,
    fmt_p,
    fmt_pct,
    fmt_pp,
    html_table,
    md_table,
    new_figure,
    page,
    png_b64,
    rate_bars,
    sfe,
    task_ticks,
    write_text_atomic,
)


def compare_runs(run_dirs: Sequence[str | Path], out_dir: str | Path | None = None) -> pd.DataFrame:
    """`runs.compare_table` of the runs, written as compare.md, compare.csv and compare.html
    into `out_dir` if given."""
    df = compare_table(run_dirs)
    if out_dir is not None:
        write_compare(df, out_dir)
    return df


COMPARE_HEADER = ("task", "rule", "run", "episodes", "success rate", "95% CI", "S/F/E", "delta", "test", "p",
                  "p (Holm)", "MDE", "verdict", "milestones")


def _milestones_text(m: dict[str, float]) -> str:
    return ", ".join(f"{k} {fmt_pct(v)}" for k, v in (m or {}).items())


def _mde_text(r: dict) -> str:
    if r["test"] in ("", "missing", "n/a"):
        return ""
    return "too few" if r["mde"] != r["mde"] else fmt_pp(r["mde"]).lstrip("+")


def _compare_cells(df: pd.DataFrame) -> list[list[str]]:
    out = []
    for r in df.to_dict("records"):
        out.append([r["task"], r["rule"], r["run"], str(r["episodes"]), fmt_pct(r["success_rate"]),
                    fmt_ci(r["ci_low"], r["ci_high"]), sfe(r), fmt_pp(r["delta"]), r["test"], fmt_p(r["p_value"]),
                    fmt_p(r["p_holm"]), _mde_text(r), r["verdict"], _milestones_text(r["milestones"])])
    return out


def _compare_note(df: pd.DataFrame) -> str:
    tasks = df.attrs.get("tasks") or list(dict.fromkeys(df.loc[df["kind"] == "task", "task"]))
    common = df.attrs.get("common_tasks", tasks)
    note = ("Success rate = successes / (successes + failures), 95% Wilson intervals; errors counted separately "
            "(S/F/E). Delta and tests are against the first run. p: two-sided, McNemar exact when the two runs "
            "share the task's episode seeds (paired), Fisher exact otherwise; p (Holm): adjusted over each run's "
            "tasks and its pooled row. Rule: when an episode counts as a success (any_step, at_end, held: K). MDE: "
            "the smallest change the test detects with 80% power at alpha 0.05 with these episodes (independent "
            "outcomes, the cautious case); a difference that is not significant is read as 'not enough episodes to "
            "decide' when the MDE exceeds the task's max_mde (default 30 points). Milestones: share of decided "
            "episodes that reached each.")
    if list(common) != list(tasks):
        note += f" The pooled rows cover only the {len(common)} task(s) present in every run."
    return note


def compare_markdown(df: pd.DataFrame) -> str:
    return f"# Comparison\n\n{md_table(COMPARE_HEADER, _compare_cells(df))}\n\n{_compare_note(df)}\n"


def plot_compare(df: pd.DataFrame) -> str:
    """Grouped bars: success rate per task and run, Wilson error bars; base64 PNG."""
    tasks = list(dict.fromkeys(df["task"]))
    runs = list(dict.fromkeys(df["run"]))
    width = 0.8 / max(1, len(runs))
    fig = new_figure(max(6.0, 1.4 * len(tasks) + 2), 4.0)
    ax = fig.add_subplot()
    for j, run in enumerate(runs):
        sub = df[df["run"] == run].set_index("task").reindex(tasks)
        items = [{"success_rate": r.success_rate, "ci_low": r.ci_low, "ci_high": r.ci_high} for r in sub.itertuples()]
        x = [i + (j - (len(runs) - 1) / 2) * width for i in range(len(tasks))]
        rate_bars(ax, tasks, items, x, width, label=run, capsize=3, ecolor="#444444")
    task_ticks(ax, range(len(tasks)), tasks)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("success rate")
    ax.set_title("Success rate per task and run (95% Wilson interval)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # never over a bar
    ax.grid(axis="y", alpha=0.3)
    return png_b64(fig)


def _sweeps(df: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(run, markdown, html) of every compared run that holds a robustness sweep."""
    from ..records import load_task_records
    from ..stats import sweep_frame
    from .sweep import plot_sensitivity, sweep_html, sweep_markdown

    out = []
    for run, d in dict.fromkeys(zip(df["run"], df["run_dir"])):
        manifest, by_task, _ = load_task_records(d)
        sw = sweep_frame(manifest, by_task)
        if not sw.empty:
            out.append((run, sweep_markdown(sw), sweep_html(sw, Path(d), plot_sensitivity(sw))))
    return out


def write_compare(df: pd.DataFrame, out_dir: str | Path) -> dict[str, Path]:
    """Write compare.md, compare.csv and compare.html for a `compare_runs` frame."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / name for name in ("compare.md", "compare.csv", "compare.html")}
    write_text_atomic(paths["compare.csv"], df.to_csv(index=False))
    sweeps = _sweeps(df)  # each run's robustness sweep (levels against its own nominal task)
    write_text_atomic(paths["compare.md"], compare_markdown(df) + "".join(f"\n## Robustness sweep: {r}\n\n{md}" for r, md, _ in sweeps))
    note = _compare_note(df)
    # Group each task's runs: a rule above the first run of every task; pooled rows in bold.
    first = (df["task"] != df["task"].shift()).tolist()
    classes = [" ".join(c for c, on in (("suite", k == "suite"), ("first", f)) if on) for k, f in zip(df["kind"], first)]
    runs = "".join(f"<li>{esc(r)}: {esc(d)}</li>" for r, d in dict.fromkeys(zip(df["run"], df["run_dir"])))
    body = f"""
<h1>Comparison</h1>
<p class="sub">baseline: <b>{esc(df['run'].iloc[0])}</b></p>
<ul>{runs}</ul>
{html_table(COMPARE_HEADER, _compare_cells(df), table_id="compare-table", row_classes=classes, left_cols=(0, 1, 2, 8, 12, 13))}
<p class="note">{esc(note)}</p>
<img class="plot" alt="success rate per task and run" src="data:image/png;base64,{plot_compare(df)}">
{"".join(f"<h2>{esc(r)}</h2>{page}" for r, _, page in sweeps)}
"""
    write_text_atomic(paths["compare.html"], page("arena-eval comparison", body))
    return paths
