#!/usr/bin/env python3
"""GR00T adapter benchmark (not a test). Prints, measured in one run:

1. for a tiny random N1.5 checkpoint on CPU, the time of one batched `get_action` for N = 1, 4, 8
   envs (`batch_invariant: false`: one forward for the batch), and its ratio to N separate
   single-env calls (what the default, batch-invariant call costs);
2. forward-pass counts showing the backbone runs once per forward whatever the denoising steps
   (N1.5), and for tiny checkpoints of all four generations at their default steps;
3. the FLOPs of one call of each generation's real-size configuration (GR00T-N1-2B,
   GR00T-N1.5-3B, GR00T-N1.6-3B, GR00T-N1.7-3B), counted with torch.utils.flop_counter on the
   meta device (nothing of the 3B parameters is allocated). Where a module's forward reads
   tensor values (the Qwen3-VL and SigLIP2 towers' variable-size attention), one block is
   counted on real CPU tensors and multiplied by the depth.

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

from arena_eval.cards import ANNOTATION_KEY, parse_policy
from arena_eval.policies import make_policy  # noqa: E402
from arena_eval.policies.groot import write_tiny
from arena_eval.policies.groot.common.tiny import TinySpec, tiny_card  # noqa: E402
from arena_eval.policies.groot.n1.config import N1, N15, PUBLISHED, parse_config  # noqa: E402
from arena_eval.policies.groot.n1.eagle_config import load_eagle_config  # noqa: E402
from arena_eval.policies.groot.n1.model import Gr00tModel  # noqa: E402
from arena_eval.policies.groot.n1x.config import N16, N17  # noqa: E402

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


N1X_IMAGE = 256  # the released processors' image size (shortest edge 256, square camera)


def bench_generations_once(base: Path) -> None:
    """Backbone and DiT forward counts of one call, tiny checkpoints of every generation."""
    from arena_eval.policies.groot import write_tiny_n1x

    spec = TinySpec(state={"left_arm": 7}, action={"left_arm": 7}, video={"ego_view": (64, 64)})
    print("\n2b. forward passes per call, tiny checkpoints of each generation (batch 4, default steps; each row\n"
          "    runs alone by default, for batch invariance: one backbone pass and K DiT passes per row)")
    print(f"{'generation':>10} {'backbone':>9} {'DiT':>5} {'denoising steps':>16}")
    for v in ("n1", "n1.5", "n1.6", "n1.7"):
        d = base / v
        if v in ("n1.6", "n1.7"):
            write_tiny_n1x(d / "checkpoint", d / "processor", arch=v, spec=spec)
        else:
            write_tiny(d / "checkpoint", d / "processor", arch=v, embodiments={"new_embodiment": spec})
        pol = make_policy(parse_policy(tiny_card(v, d / "checkpoint", d / "processor", spec), str(d / "c.yaml")))
        counts = {"bb": 0, "dit": 0}
        pol.model.backbone.register_forward_hook(lambda *a: counts.__setitem__("bb", counts["bb"] + 1))
        pol.model.action_head.model.register_forward_hook(lambda *a: counts.__setitem__("dit", counts["dit"] + 1))
        rng = np.random.default_rng(0)
        o = {
            "video.ego_view": rng.integers(0, 256, (4, 1, 64, 64, 3), dtype=np.uint8),
            "state.left_arm": rng.normal(size=(4, 1, 7)).astype(np.float32),
            ANNOTATION_KEY: ["pick up the box"] * 4,
        }
        pol.reset(np.arange(4), [0, 1, 2, 3])
        pol.get_action(o, np.arange(4))
        print(f"{v:>10} {counts['bb']:>9} {counts['dit']:>5} {pol.steps:>16}")
        assert counts["bb"] == 4 and counts["dit"] == 4 * pol.steps


def _one_block_flops(block_cls, cfg, n_tokens: int, **kw) -> int:
    with torch.random.fork_rng(devices=[]):
        blk = block_cls(cfg).eval()
    x = torch.zeros(n_tokens, cfg.hidden_size) if kw.pop("flat", False) else torch.zeros(1, n_tokens, cfg.hidden_size)
    with torch.no_grad():
        return flops(lambda: blk(x, **kw))


# The released config.json fields that differ from the class defaults (N1.6 writes none).
RELEASED_N1X = {
    N16: {},
    N17: {"select_layer": 16, "diffusion_model_cfg": {"num_layers": 32}, "state_dropout_prob": 0.2},
}


def bench_flops_n1x(model_type: str, text_tokens: int, steps: tuple[int, ...]) -> None:
    from arena_eval.policies.groot.n1x.backbone_config import load_backbone_config
    from arena_eval.policies.groot.n1x.config import parse_config as parse_n1x_config
    from arena_eval.policies.groot.n1x.model import Gr00tN1xModel

    cfg = parse_n1x_config({"model_type": model_type, **RELEASED_N1X[model_type]}, "released")
    bb, _ = load_backbone_config(None, model_type)
    with torch.device("meta"):
        m = Gr00tN1xModel(cfg, bb).eval()
    n_params = sum(p.numel() for p in m.parameters())
    if model_type == N16:
        from transformers.models.siglip2.modeling_siglip2 import Siglip2EncoderLayer

        eagle = m.backbone.model
        vcfg = eagle.vision_model.vision_model.embeddings.config
        side = 252 // vcfg.patch_size  # 256 -> smart_resize 252 -> 18x18 patches
        patches, img_tokens = side * side, (side // 2) ** 2
        with torch.device("meta"), torch.no_grad():
            f_vision = flops(lambda: eagle.vision_model.vision_model.embeddings.patch_embedding(torch.zeros(1, patches, 588)))
            f_vision += flops(lambda: eagle.mlp1(torch.zeros(1, img_tokens, 4 * vcfg.hidden_size)))
        f_vision += vcfg.num_hidden_layers * _one_block_flops(Siglip2EncoderLayer, vcfg, patches, attention_mask=None)
        lm = eagle.language_model.model
        what = f"SigLIP2 ({patches} patches) + pixel unshuffle + MLP"
    else:
        from transformers.models.qwen3_vl.modeling_qwen3_vl import Qwen3VLVisionBlock, Qwen3VLVisionPatchMerger

        vis = m.backbone.model.model.visual
        vcfg = vis.config
        side = N1X_IMAGE // vcfg.patch_size
        patches, img_tokens = side * side, (side // 2) ** 2
        head_dim = vcfg.hidden_size // vcfg.num_heads
        rot = torch.zeros(patches, head_dim)
        f_block = _one_block_flops(
            Qwen3VLVisionBlock, vcfg, patches, flat=True, cu_seqlens=torch.tensor([0, patches], dtype=torch.int32),
            position_embeddings=(rot, rot),
        )
        with torch.random.fork_rng(devices=[]):
            merger = Qwen3VLVisionPatchMerger(vcfg, use_postshuffle_norm=False).eval()
            deep = Qwen3VLVisionPatchMerger(vcfg, use_postshuffle_norm=True).eval()
        with torch.no_grad():
            f_merge = flops(lambda: merger(torch.zeros(patches, vcfg.hidden_size)))
            f_deep = flops(lambda: deep(torch.zeros(patches, vcfg.hidden_size)))
        with torch.device("meta"), torch.no_grad():
            f_patch = flops(lambda: vis.patch_embed(torch.zeros(patches, 3 * 2 * 16 * 16)))
        f_vision = f_patch + vcfg.depth * f_block + f_merge + len(vcfg.deepstack_visual_indexes) * f_deep
        lm = m.backbone.model.model.language_model
        what = f"Qwen3-VL ViT ({patches} patches, {len(vcfg.deepstack_visual_indexes)} deepstack taps) + merger"
    seq = img_tokens + text_tokens
    d = cfg.backbone_embedding_dim
    with torch.device("meta"), torch.no_grad():
        emb = torch.randn(1, seq, d)
        mask4d = torch.ones(1, 1, seq, seq, dtype=torch.bool)
        pos = torch.zeros(3, 1, seq, dtype=torch.long) if model_type == N17 else torch.zeros(1, seq, dtype=torch.long)
        f_lm = flops(lambda: lm(inputs_embeds=emb, attention_mask=mask4d, position_ids=pos))
        feats = torch.randn(1, seq, d)
        am = torch.ones(1, seq, dtype=torch.long)
        im = torch.zeros(1, seq, dtype=torch.bool)
        state = torch.randn(1, 1, cfg.max_state_dim)
        noise = torch.randn(1, cfg.action_horizon, cfg.max_action_dim)
        head = m.action_head
        f_ctx = flops(lambda: head.model.context_kv(head.encode_context(feats)))
        f_head = {k: flops(lambda k=k: head.sample(feats, am, im, state, 10, noise, k)) for k in steps}
    name = {N16: "N1.6 (Gr00tN1d6)", N17: "N1.7 (Gr00tN1d7)"}[model_type]
    print(
        f"\n3. FLOPs per call, real-size {name}: {n_params / 1e9:.2f}B parameters built (LM head and pooling "
        f"head not built), batch 1, one {N1X_IMAGE}x{N1X_IMAGE} image = {img_tokens} tokens + {text_tokens} text "
        f"tokens = {seq} tokens; horizon {cfg.action_horizon}, {cfg.diffusion_model_cfg.num_layers} DiT blocks; "
        "backbone forwards per call: 1"
    )
    print(f"   vision ({what}): {f_vision / 1e9:8.1f} GFLOP")
    print(f"   language model ({cfg.select_layer} layers): {f_lm / 1e9:8.1f} GFLOP")
    ctx = "vlln, vl self-attention, cross-attention K/V" if model_type == N17 else "vlln, cross-attention K/V"
    print(f"   action-head context ({ctx}; once per call): {f_ctx / 1e9:.1f} GFLOP")
    for k, f in f_head.items():
        print(
            f"   K = {k:>2} denoising steps: action head {f / 1e9:7.1f} GFLOP ({(f - f_ctx) / k / 1e9:.2f} per step); "
            f"whole call {(f_vision + f_lm + f) / 1e9:7.1f} GFLOP"
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
        # The batched forward's speed-up (the default computes each row alone, for batch
        # invariance; its cost: benchmarks/bench_batch_invariance.py).
        card["params"]["batch_invariant"] = False
        pol = make_policy(parse_policy(card, str(base / "card.yaml")))
        bench_batching(pol, a.repeats)
        bench_backbone_once(pol)
        bench_generations_once(base / "generations")
    bench_flops(N1, images=1, text_tokens=32, steps=(4,))
    bench_flops(N15, images=1, text_tokens=32, steps=(4, 10))
    bench_flops_n1x(N16, text_tokens=32, steps=(4,))
    bench_flops_n1x(N17, text_tokens=32, steps=(4,))


if __name__ == "__main__":
    main()
