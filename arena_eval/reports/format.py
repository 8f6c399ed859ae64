"""Formatting shared by every renderer (run report, compare, leaderboard, sweep, gates):
numbers as text, Markdown and HTML tables, the page frame and its CSS, figures as inline PNG,
atomic writes. A leaf: it imports nothing else of arena_eval."""

from __future__ import annotations

import base64
import html
import io
import math
import os
from pathlib import Path
from typing import Any, Collection, Iterable, Sequence


def is_nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_pct(x: Any) -> str:
    return "n/a" if is_nan(x) else f"{100 * x:.1f}%"


def fmt_ci(lo: Any, hi: Any) -> str:
    return "n/a" if is_nan(lo) else f"[{100 * lo:.1f}, {100 * hi:.1f}]%"


def fmt_pp(x: Any) -> str:
    return "" if is_nan(x) else f"{100 * x:+.1f} pp"


def fmt_p(x: Any) -> str:
    if is_nan(x):
        return ""
    return "<0.0001" if x < 1e-4 else f"{x:.4f}"


def fmt_num(x: Any, digits: int = 1) -> str:
    return "n/a" if is_nan(x) else f"{x:.{digits}f}"


def sfe(s: dict[str, Any]) -> str:
    return f"{s['successes']}/{s['failures']}/{s['errors']}"


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    esc = lambda c: str(c).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def png_b64(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def new_figure(width: float, height: float, layout: str | None = None) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def rate_bars(ax: Any, labels: list[str], items: list[dict[str, Any]], x: Any, width: float, **kw: Any) -> None:
    rates = [0.0 if is_nan(s["success_rate"]) else s["success_rate"] for s in items]
    lo = [0.0 if is_nan(s["ci_low"]) else r - s["ci_low"] for r, s in zip(rates, items)]
    hi = [0.0 if is_nan(s["ci_high"]) else s["ci_high"] - r for r, s in zip(rates, items)]
    kw.setdefault("capsize", 4)
    ax.bar(x, rates, width, yerr=[lo, hi], **kw)


def task_ticks(ax: Any, x: Any, labels: list[str]) -> None:
    slanted = len(labels) > 4 or max(map(len, labels), default=0) > 12  # long Isaac Lab ids would overlap
    ax.set_xticks(list(x), labels, rotation=25 if slanted else 0, ha="right" if slanted else "center",
                  rotation_mode="anchor")


CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 2em auto;
       max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.6em; text-align: right; vertical-align: middle;
         white-space: nowrap; }
th { background: #f3f5f7; } .left { text-align: left; }
tr.suite td { font-weight: bold; } tr.first td { border-top: 2px solid #999; }
table.info td:first-child { color: #555; } table.info td { white-space: normal; }
.headline { font-size: 1.15em; background: #f3f7fb; border-left: 4px solid #3b75af; padding: 0.6em 1em; }
.warn { background: #fff4e5; border-left: 4px solid #e69500; padding: 0.5em 1em; }
img.plot { max-width: 100%; display: block; margin: 0.8em 0; }
img.frame { height: 90px; margin-right: 0.4em; } video.video { height: 90px; margin-right: 0.4em; }
.note { color: #666; font-size: 0.9em; } .scroll { overflow-x: auto; }
"""


def join(x: Any) -> str:
    return ", ".join(map(str, x)) if isinstance(x, (list, tuple)) else ("" if x is None else str(x))


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, table_id: str = "", cls: str = "",
                row_classes: Sequence[str] | None = None, raw_cols: Collection[int] = (),
                left_cols: Collection[int] = (0,)) -> str:
    """A table; cells are escaped except those in raw_cols (pre-built HTML); text columns
    in left_cols are left-aligned, the rest (numbers) right-aligned."""
    tid = f' id="{table_id}"' if table_id else ""
    tcls = f' class="{cls}"' if cls else ""
    align = lambda j: ' class="left"' if j in left_cols or j in raw_cols else ""  # noqa: E731
    out = [f'<div class="scroll"><table{tid}{tcls}>',
           "<thead><tr>" + "".join(f"<th{align(j)}>{esc(h)}</th>" for j, h in enumerate(header)) + "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        tr_cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = [f"<td{align(j)}>{c if j in raw_cols else esc(c)}</td>" for j, c in enumerate(row)]
        out.append(f"<tr{tr_cls}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Through a temporary file and a rename, like write_json_atomic: a report being
    rewritten (e.g. after a resume) is never seen half written."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
