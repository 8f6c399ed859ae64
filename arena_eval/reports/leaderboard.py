"""Rendering of a leaderboard (arena_eval.stats.leaderboard computes it): markdown, CSV and a
self-contained HTML page with a plot of the rates and the rank intervals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .format import fmt_ci, fmt_p, fmt_pct, html_table, md_table, new_figure, page, png_b64, write_text_atomic

BOARD_HEADER = ("rank", "run", "mean task rate", "pooled rate", "95% CI", "S/F/E", "rank interval")
PAIR_HEADER = ("run A", "run B", "rate A", "rate B", "A only", "B only", "test", "p", "p (Holm)")


def _rank_text(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


def board_cells(b: pd.DataFrame) -> list[list[str]]:
    return [[str(r["rank"]), r["run"], fmt_pct(r["score"]), fmt_pct(r["success_rate"]), fmt_ci(r["ci_low"], r["ci_high"]),
             f"{r['successes']}/{r['failures']}/{r['errors']}", _rank_text(r["rank_low"], r["rank_high"])]
            for r in b.to_dict("records")]


def pair_cells(p: pd.DataFrame) -> list[list[str]]:
    return [[r["run_a"], r["run_b"], fmt_pct(r["rate_a"]), fmt_pct(r["rate_b"]), str(r["a_only"]), str(r["b_only"]),
             r["test"], fmt_p(r["p_value"]), fmt_p(r["p_holm"])] for r in p.to_dict("records")]


def note(b: pd.DataFrame) -> str:
    a = b.attrs
    return (f"Tasks: {', '.join(a.get('common_tasks', []))}. Rank by the mean of per-task success rates; pooled rate "
            "with its 95% Wilson interval; errors (E) are left out of rates. Rank interval: 95% paired bootstrap over "
            f"episodes within tasks ({a.get('n_boot')} resamples, seed {a.get('seed')}). Pairwise: McNemar's exact "
            "test on paired episodes, two-sided, Holm-adjusted over all pairs.")


def markdown(res: dict[str, pd.DataFrame]) -> str:
    b, p = res["board"], res["pairs"]
    return (f"# Leaderboard\n\n{md_table(BOARD_HEADER, board_cells(b))}\n\n## Pairwise\n\n"
            f"{md_table(PAIR_HEADER, pair_cells(p))}\n\n{note(b)}\n")


def plot(res: dict[str, pd.DataFrame]) -> str:
    """Left: pooled rate per run with its Wilson interval; right: rank intervals."""
    b = res["board"]
    fig = new_figure(10.0, 0.5 * len(b) + 1.8, layout="constrained")
    ax_r, ax_k = fig.subplots(1, 2, sharey=True)
    y = list(range(len(b)))[::-1]
    ax_r.errorbar(b["success_rate"], y, xerr=[b["success_rate"] - b["ci_low"], b["ci_high"] - b["success_rate"]],
                  fmt="o", capsize=3)
    ax_r.set_xlim(-0.03, 1.03)  # a rate of 0 or 1 stays visible
    ax_r.set_xlabel("pooled success rate (95% Wilson)")
    ax_r.set_yticks(y, b["run"])
    ax_r.set_ylim(-0.7, len(b) - 0.3)
    ax_k.hlines(y, b["rank_low"] - 0.2, b["rank_high"] + 0.2, lw=6, color="#3b75af", alpha=0.6)
    ax_k.plot(b["rank"], y, "k|", markersize=14)
    ax_k.set_xlim(0.5, len(b) + 0.5)
    ax_k.set_xticks(range(1, len(b) + 1))
    ax_k.set_xlabel("rank (95% bootstrap interval; | = observed)")
    for ax in (ax_r, ax_k):
        ax.grid(axis="x", alpha=0.3)
    return png_b64(fig)


def write(res: dict[str, pd.DataFrame], out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: out_dir / f"leaderboard{k}" for k in (".md", ".csv", "_tasks.csv", "_pairs.csv", ".html")}
    write_text_atomic(paths[".md"], markdown(res))
    write_text_atomic(paths[".csv"], res["board"].to_csv(index=False))
    write_text_atomic(paths["_tasks.csv"], res["tasks"].to_csv(index=False))
    write_text_atomic(paths["_pairs.csv"], res["pairs"].to_csv(index=False))
    body = f"""
<h1>Leaderboard</h1>
{html_table(BOARD_HEADER, board_cells(res["board"]), table_id="leaderboard", left_cols=(1,))}
<img class="plot" alt="success rates and rank intervals" src="data:image/png;base64,{plot(res)}">
<h2>Pairwise</h2>
{html_table(PAIR_HEADER, pair_cells(res["pairs"]), table_id="pairs", left_cols=(0, 1, 6))}
<p class="note">{note(res["board"])}</p>
"""
    write_text_atomic(paths[".html"], page("arena-eval leaderboard", body))
    return paths
