#!/usr/bin/env python3
"""GR00T adapter benchmark (not a test). Prints, measured in one run:

1. for a tiny random N1.5 checkpoint on CPU, the time of one batched `get_action` for N = 1, 4, 8
   envs, and its ratio to N separate single-env calls;
2. forward-pass counts showing the backbone runs once per call whatever the denoising steps;
3. the FLOPs of one call of the real-size GR00T-N1.5-3B (and N1-2B) configuration, counted with
   torch.utils.flop_counter on the meta device (nothing of the 3B parameters is allocated).

    python benchmarks/bench_groot.py [--threads 1] [--repeats 5]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from arena_eval.policies import make_policy  # noqa: E402
from arena_eval.policies.groot.config import N1, N15, PUBLISHED, load_eagle_config, parse_config  # noqa: E402
from arena_eval.policies.groot.modeling import Gr00tModel  # noqa: E402
from arena_eval.policies.groot.tiny import TinySpec, tiny_card, write_tiny  # noqa: E402
from arena_eval.specs import ANNOTATION_KEY, parse_policy  # noqa: E402

SPEC = TinySpec(
    state={"left_arm": 7, "right_arm": 7, "waist": 3},
    action={"left_arm": 7, "right_arm": 7, "waist": 3},
    video={"ego_view": (64, 64)},
)


def obs(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    o = {"video.ego_view": rng.integers(0, 256, (n, 1, 64, 64, 3), dtype=np.uint8)}
    o.update({f"state.{k}": rng.normal(size=(n, 1, d)).astype(np.float32) for k, d in SPEC.state.items()})
    o[ANNOTATION_KEY] = ["pick up the box and put it in the bin"] * n
    return o


def rows(o: dict, i: int) -> dict:
    return {k: (v[i : i + 1] if isinstance(v, np.ndarray) else v[i : i + 1]) for k, v in o.items()}


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def bench_batching(pol, repeats: int) -> None:
    print("\n1. tiny N1.5 (1 camera 64x64, 17-dim state/action, 4 denoising steps), CPU float32")
    print(f"{'N':>3} {'batched call':>14} {'N single calls':>16} {'single/batched':>15} {'per env (batched)':>18}")
    for n in (1, 4, 8):
        o = obs(n)
        slots = np.arange(n)
        pol.reset(slots, list(range(n)))
        batched = timed(lambda: pol.get_action(o, slots), repeats)
        singles = timed(lambda: [pol.get_action(rows(o, i), slots[i : i + 1]) for i in range(n)], repeats)
        print(
            f"{n:>3} {batched * 1e3:>11.1f} ms {singles * 1e3:>13.1f} ms {singles / batched:>14.2f}x "
            f"{batched / n * 1e3:>15.1f} ms"
        )


def bench_backbone_once(pol) -> None:
    print("\n2. forward passes per get_action call (hooks on the modules)")
    print(f"{'denoising steps':>16} {'backbone':>9} {'vl self-attn':>13} {'DiT':>5}")
    for steps in (1, 4, 10, 16):
        pol.steps = steps
        counts = {"backbone": 0, "vl": 0, "dit": 0}

        def counter(name):
            return lambda *a: counts.__setitem__(name, counts[name] + 1)

        hooks = [
            pol.model.backbone.register_forward_hook(counter("backbone")),
            pol.model.action_head.vl_self_attention.register_forward_hook(counter("vl")),
            pol.model.action_head.model.register_forward_hook(counter("dit")),
        ]
        pol.reset(np.arange(4), [0, 1, 2, 3])
        pol.get_action(obs(4), np.arange(4))
        for h in hooks:
            h.remove()
        print(f"{steps:>16} {counts['backbone']:>9} {counts['vl']:>13} {counts['dit']:>5}")
        assert counts["backbone"] == 1 and counts["vl"] == 1 and counts["dit"] == steps
    pol.steps = 4


def flops(fn) -> int:
    with FlopCounterMode(display=False) as fc:
        fn()
    return fc.get_total_flops()


def bench_flops(model_type: str, images: int, text_tokens: int, steps: tuple[int, ...]) -> None:
    cfg = parse_config(copy.deepcopy(PUBLISHED[model_type]), "published")
    eagle = load_eagle_config(None, model_type)
    with torch.device("meta"):
        m = Gr00tModel(cfg, eagle).eval()
        n_params = sum(p.numel() for p in m.parameters())
        seq = images * eagle.tokens_per_image + text_tokens
        head = cfg.action_head_cfg
        px = torch.randn(images, 3, eagle.image_size, eagle.image_size)
        emb = torch.randn(1, seq, eagle.text["hidden_size"])
        lm = m.backbone.eagle.language_model.model
        proj = getattr(m.backbone, "eagle_linear" if cfg.is_n15 else "linear", None)
        feats = torch.randn(1, seq, proj.out_features if proj is not None else eagle.text["hidden_size"])
        state = torch.randn(1, 1, head.max_state_dim)
        noise = torch.randn(1, head.action_horizon, head.action_dim)
        with torch.no_grad():
            f_vision = flops(lambda: m.backbone.eagle.vision_features(px))
            # A ready 4D mask: transformers' mask builder reads tensor values, which the meta device
            # has not; the attention costs the same FLOPs either way.
            mask4d = torch.ones(1, 1, seq, seq, dtype=torch.bool)
            f_lm = flops(lambda: lm(inputs_embeds=emb, attention_mask=mask4d))
            f_proj = flops(lambda: proj(torch.randn(1, seq, lm.config.hidden_size))) if proj is not None else 0
            f_ctx = flops(lambda: m.action_head.model.context_kv(m.action_head.encode_context(feats)))
            f_head = {k: flops(lambda k=k: m.action_head.sample(feats, state, 31, noise, k)) for k in steps}
    print(
        f"\n3. FLOPs per call, real-size {model_type} ({n_params / 1e9:.2f}B parameters built; LM head and "
        f"SigLIP pooling head not built), batch 1, {images} image(s) x {eagle.tokens_per_image} tokens + "
        f"{text_tokens} text tokens = {seq} tokens"
    )
    print(f"   vision tower + connector : {f_vision / 1e9:8.1f} GFLOP")
    print(f"   language model ({cfg.backbone_cfg.select_layer} layers): {f_lm / 1e9:8.1f} GFLOP")
    if proj is not None:
        print(f"   backbone projection      : {f_proj / 1e9:8.1f} GFLOP")
    what = "vlln, vl self-attention, cross-attention K/V" if cfg.is_n15 else "cross-attention K/V"
    print(f"   action-head context ({what}; once per call): {f_ctx / 1e9:.1f} GFLOP")
    for k, f in f_head.items():
        per_step = (f - f_ctx) / k
        total = f_vision + f_lm + f_proj + f
        print(
            f"   K = {k:>2} denoising steps: action head {f / 1e9:7.1f} GFLOP ({per_step / 1e9:.2f} per step); "
            f"whole call {total / 1e9:7.1f} GFLOP"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: robust on a shared CPU)")
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {a.threads} CPU thread(s), median of {a.repeats} repeats")
    with tempfile.TemporaryDirectory() as d:
        base = Path(d)
        write_tiny(base / "checkpoint", base / "processor", arch="n1.5", embodiments={"new_embodiment": SPEC})
        card = tiny_card("bench", base / "checkpoint", base / "processor", SPEC)
        pol = make_policy(parse_policy(card, str(base / "card.yaml")))
        bench_batching(pol, a.repeats)
        bench_backbone_once(pol)
    bench_flops(N15, images=1, text_tokens=32, steps=(4, 10))
    bench_flops(N1, images=1, text_tokens=32, steps=(4,))


if __name__ == "__main__":
    main()
