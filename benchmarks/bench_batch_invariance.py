#!/usr/bin/env python3
"""Batch invariance of the GR00T adapters (not a test; tests/test_groot_batch_invariance.py is).

For a tiny random checkpoint of each generation (N1, N1.5, N1.6, N1.7) and the three shipped
checkpoints, each card is loaded twice: as shipped (`batch_invariant: true`, the default: one
forward per row) and with `batch_invariant: false` (one batched forward, the behaviour before).
For each, one `get_action` over 4 rows is compared with each row alone (the same episode seeds,
so the same per-episode noise), with one instruction for every row and with instructions of
different lengths: the largest difference of an action (0 = bitwise equal). Then the time of
one call at batch 1, 2 and 4 in either mode, the two modes' calls interleaved so that the load
of a shared machine falls on both alike (median of --repeats, one torch thread).

    python benchmarks/bench_batch_invariance.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from arena_eval.cards import ANNOTATION_KEY, load_policy, parse_policy
from arena_eval.policies import make_policy  # noqa: E402
from arena_eval.policies.groot import write_tiny, write_tiny_n1x
from arena_eval.policies.groot.common.tiny import TinySpec, tiny_card  # noqa: E402

SPEC = TinySpec(state={"arm": 7, "grip": 1}, action={"arm": 7, "grip": 1}, video={"ego_view": (64, 48)})
SAME = ["pick up the box"] * 4
MIXED = ["go", "pick up the brown box and place it in the blue bin", "lift it", "pick up the box"]
SHIPPED = ("small-gr00t-cartpole", "small-gr00t-g1-lift", "small-gr00t-kitchen-vision")


def obs_for(pol, b: int, texts: list[str], seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    o: dict = {k.suite_key: rng.integers(0, 256, (b, 1, 96, 128, 3), dtype=np.uint8) for k in pol.video}
    for k in pol.state:
        o[k.suite_key] = rng.normal(size=(b, 1, k.dim)).astype(np.float32)
    o[ANNOTATION_KEY] = texts[:b]
    return o


def rows(o: dict, idx: list[int]) -> dict:
    return {k: (v[idx] if isinstance(v, np.ndarray) else [v[i] for i in idx]) for k, v in o.items()}


def max_diff(pol, texts: list[str]) -> float:
    o = obs_for(pol, 4, texts)
    seeds = [11, 12, 13, 14]
    pol.reset(np.arange(4), seeds)
    batch = pol.get_action(o, np.arange(4))
    worst = 0.0
    for i in range(4):
        pol.reset(np.array([i]), [seeds[i]])
        one = pol.get_action(rows(o, [i]), np.array([i]))
        for k in batch:
            worst = max(worst, float(np.abs(batch[k][i].astype(np.float64) - one[k][0]).max()))
    return worst


def per_call_ms(pols: list, b: int, repeats: int) -> list[float]:
    """Median ms of one call at batch b for each policy, the policies' calls interleaved."""
    ts: list[list[float]] = [[] for _ in pols]
    slots = np.arange(b)
    for pol in pols:
        pol.reset(slots, list(range(b)))
        pol.get_action(obs_for(pol, b, SAME), slots)  # warm-up
    for _ in range(repeats):
        for pol, t in zip(pols, ts):
            o = obs_for(pol, b, SAME)
            t0 = time.perf_counter()
            pol.get_action(o, slots)
            t.append(time.perf_counter() - t0)
    return [1000 * statistics.median(t) for t in ts]


def tiny_cards(base: Path) -> dict[str, dict]:
    cards = {}
    for arch in ("n1", "n1.5"):
        d = base / arch
        write_tiny(d / "ckpt", d / "proc", arch=arch, embodiments={"new_embodiment": SPEC}, extra_text=tuple(MIXED))
        cards[f"tiny {arch}"] = tiny_card(arch, d / "ckpt", d / "proc", SPEC)
    for arch in ("n1.6", "n1.7"):
        d = base / arch
        write_tiny_n1x(d / "ckpt", d / "proc", arch=arch, spec=SPEC, extra_text=MIXED)
        cards[f"tiny {arch}"] = tiny_card(arch, d / "ckpt", d / "proc", SPEC)
    return cards


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--only", default="", help="comma-separated names (e.g. small-gr00t-g1-lift)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}; max |batch row - row alone| (0: bitwise equal); ms per call, "
          "per-row (default) / batched")
    head = ["same text", "mixed", "b=1 ms", "b=2 ms", "b=4 ms"]
    print(f"{'checkpoint':27s} {'mode':8s} " + " ".join(f"{h:>10s}" if i < 2 else f"{h:>8s}" for i, h in enumerate(head)))
    with tempfile.TemporaryDirectory() as tmp:
        makers = {}
        for name, card in tiny_cards(Path(tmp)).items():
            def make(over, card=card, name=name):
                c = {**card, "params": {**card["params"], **over}}
                return make_policy(parse_policy(c, str(Path(tmp) / f"{name}.yaml")))
            makers[name] = make
        for name in SHIPPED:
            def make(over, name=name):
                spec = load_policy(name)
                return make_policy(dataclasses.replace(spec, params={**spec.params, **over}))
            makers[name] = make
        only = set(filter(None, args.only.split(",")))
        for name, make in makers.items():
            if only and name not in only:
                continue
            pols = (make({}), make({"batch_invariant": False}))  # the card as it is, and batched
            torch.set_num_threads(1)  # the shipped cards set cpu_threads: 1 too
            times = [per_call_ms(list(pols), b, args.repeats) for b in (1, 2, 4)]
            for m, (mode, pol) in enumerate(zip(("per-row", "batched"), pols)):
                d_same, d_mixed = max_diff(pol, SAME), max_diff(pol, MIXED)
                t = [x[m] for x in times]
                print(f"{name:27s} {mode:8s} {d_same:10.3g} {d_mixed:10.3g} {t[0]:8.2f} {t[1]:8.2f} {t[2]:8.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
