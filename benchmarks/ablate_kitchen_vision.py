"""Does the shipped camera-and-language checkpoint see and read? small-gr00t-kitchen-vision on
the two kitchen tasks it was trained for, each with its camera blanked and with the other
task's instruction (paired on the nominal episodes' seeds: McNemar's exact test, Holm across a
task's levels), and the random policy on the same seeds; the ablation table of
docs/studies/kitchen-vision.md.

    bash scripts/run.sh python benchmarks/ablate_kitchen_vision.py [--episodes 40] [--out results/ablate-kitchen-vision]

Each run is a plain `scripts/evaluate.py --vary camera_input=blank --vary instruction=<other task>`
(printed before it starts); `--resume` continues killed runs. Writes `<out>/ablations.md` and
`<out>/ablations.json`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# task -> the instruction level of the other task (tasks/robocasa.yaml)
TASKS = {"open_drawer_wide": "press_button", "coffee_press_button_wide": "open_drawer"}


def run(cmd: list[str]) -> None:
    print(" ".join(cmd[1:]), flush=True)
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd[1:])}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--episodes", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--policy", default="small-gr00t-kitchen-vision")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "ablate-kitchen-vision")
    p.add_argument("--resume", action="store_true")
    a = p.parse_args()
    ev = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", "robocasa", "--episodes", str(a.episodes),
          "--seed", str(a.seed), "--no-progress"] + (["--resume"] if a.resume else [])
    for task, other in TASKS.items():
        out = a.out / task
        if not (a.resume and (out / "summary.json").is_file()):
            run(ev + ["--tasks", task, "--policy", a.policy, "--vary", "camera_input=blank", "--vary",
                      f"instruction={other}", "--out", str(out)])
    rnd = a.out / "random"
    if not (a.resume and (rnd / "summary.json").is_file()):
        run(ev + ["--tasks", ",".join(TASKS), "--policy", "random", "--out", str(rnd)])

    rows = []
    random = {t["task"]: t for t in json.loads((rnd / "summary.json").read_text())["tasks"]}
    for task in TASKS:
        for r in json.loads((a.out / task / "summary.json").read_text())["sweep"]:
            if r["level"] == "nominal" and any(x["level"] == "nominal" for x in rows if x["task"] == task):
                continue  # one nominal row per task (the sweep repeats it per axis)
            rows.append({k: r.get(k) for k in ("task", "axis", "level", "successes", "n", "rate", "ci_low", "ci_high",
                                               "nominal_only", "level_only", "p_mcnemar", "p_holm")})
        rt = random[task]
        rows.append({"task": task, "axis": "policy", "level": "random", "successes": rt["successes"], "n": rt["successes"] + rt["failures"],
                     "rate": rt["success_rate"], "ci_low": rt["ci_low"], "ci_high": rt["ci_high"]})

    def pct(x):
        return "" if x is None else f"{100 * x:.0f}%"

    def pv(x):
        return "" if x is None or x != x else f"{x:.2g}"

    lines = [f"| task | input | success | 95% CI | nominal only / level only | McNemar p | Holm p |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        what = {"nominal": f"{a.policy} (camera, own instruction)", "blank": "camera blanked",
                "random": "random policy"}.get(r["level"], f"instruction of {r['level']}")
        disc = "" if r.get("nominal_only") is None else f"{int(r['nominal_only'])} / {int(r['level_only'])}"
        lines.append(f"| {r['task']} | {what} | {r['successes']}/{r['n']} ({pct(r['rate'])}) | "
                     f"[{pct(r['ci_low'])}, {pct(r['ci_high'])}] | {disc} | {pv(r.get('p_mcnemar'))} | {pv(r.get('p_holm'))} |")
    md = "\n".join(lines) + "\n"
    (a.out / "ablations.md").write_text(md)
    (a.out / "ablations.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
