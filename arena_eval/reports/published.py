"""Rendering one run against published success rates (`compare.py --published`)."""

from __future__ import annotations

import pandas as pd

from .format import fmt_ci, fmt_p, fmt_pct


def published_markdown(df: pd.DataFrame) -> str:
    head = "| run | task | success rate | 95% CI | published | test | p | p (Holm) |\n|---|---|---|---|---|---|---|---|\n"
    body = "".join(
        f"| {r.run} | {r.task} | {fmt_pct(r.success_rate)} ({r.successes}/{r.episodes}) | {fmt_ci(r.ci_low, r.ci_high)} | "
        f"{fmt_pct(r.published_rate)}{'' if pd.isna(r.published_episodes) else f' of {int(r.published_episodes)}'} | "
        f"{r.test} | {fmt_p(r.p_value)} | {fmt_p(r.p_holm)} |\n" for r in df.itertuples())
    note = ("\nTwo-sided: exact binomial against the published rate taken as exact; Boschloo's exact test when "
            "the published episode count is given (both are samples). A small p: the run is not consistent with "
            "the published number.\n")
    return "# Against published rates\n\n" + head + body + note
