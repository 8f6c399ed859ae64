#!/usr/bin/env python3
"""GPU check (issue 29): run arena-eval's CUDA path once, unattended, and write what it measured.

The design puts the full GR00T model on a GPU, and benchmarkers with GPUs are the main users of
real checkpoints, but none of that path had run here: bfloat16 and sdpa on CUDA, real-size
batches, MJWarp on CUDA with hundreds of envs. One command (about 10 minutes on one H100, no
network, no real weights) runs each piece once:

  latency_dry_run   the latency code (meta build, random fill, synthetic inputs, timing) on the
                    tiny configs of every generation, on the CPU: proves the path; times mean nothing
  agreement         tiny checkpoints of every generation through the policy adapter, same noise:
                    CPU float32 built twice (must be identical), CUDA float32 vs CPU float32,
                    CUDA bfloat16 vs CUDA float32 (max |diff| of the action chunk, world units)
  latency           N1, N1.5, N1.6, N1.7 at real size (random weights, the project's module trees)
                    on CUDA in bfloat16: model.get_action at batch 1, 8, 32 (median of 20 calls
                    after warm-up, CUDA events), peak memory, ratio to the published anchors
  sim_fps           Isaac Lab kit-less on MJWarp/CUDA, g1_lift and open_drawer, 1/64/512 envs
                    (benchmarks/bench_env.py's loops): env-frames/s
  scripted_eval     20 scripted episodes per task on `isaaclab` with device cuda:0, and the CPU
                    worker backend on the same plan: success rates, outcome agreement
  e2e_camera        the shipped camera-and-language GR00T (small-gr00t-kitchen-vision) with policy
                    and simulator on the GPU, against its committed CPU baseline's episodes
  latency_compiled  batch 1 under torch.compile (N1.6, N1.5: the published anchors)

Each stage runs in its own subprocess under a time limit (a crash, a hang or a broken CUDA context
fails one stage, the rest still run) and rewrites its result after every row, so a stage killed
at its limit keeps its finished rows. Without CUDA the stages that need it are recorded as
skipped and the script exits 0. Writes gpu_check.json, gpu_check.md and logs/<stage>.log to --out.

    bash scripts/run.sh python benchmarks/gpu_check.py --out /tmp/gpu-check [--quick] [--stages a,b]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

GENERATIONS = ("n1", "n1.5", "n1.6", "n1.7")
# Published latency of one action chunk (batch 1, 4 denoising steps), as issue 29 quotes NVIDIA's
# numbers: N1.5 47.88 ms on one H100 (NVIDIA's N1.5 release notes; docs/gr00t.md), N1.6 about 36-38 ms with torch.compile.
ANCHORS_MS = {"n1.5": (47.88, 47.88, "eager"), "n1.6": (36.0, 38.0, "torch.compile")}
SIM_TASKS = (("g1", "g1_lift"), ("robocasa", "open_drawer"))
SIM_DEVICE, POLICY_DEVICE = "cuda:0", "cuda"  # where the CUDA stages put the simulator and the policy
E2E = {"policy": "small-gr00t-kitchen-vision", "suite": "robocasa", "task": "open_drawer_wide",
       "baseline": ROOT / "results" / "baselines" / "robocasa-small-gr00t-kitchen-vision"}
# stage -> (needs CUDA, its time limit in s); run in this order, each within what is left of --budget
STAGES = {"latency_dry_run": (False, 120), "agreement": (False, 120), "latency": (True, 180), "sim_fps": (True, 180),
          "scripted_eval": (True, 150), "e2e_camera": (True, 120), "latency_compiled": (True, 240)}
NO_CUDA = "no CUDA device"


def sizes(quick: bool) -> dict:
    if quick:
        return dict(batches=(1, 8), warm=1, calls=5, envs=(1, 16), cam_envs=(1,), steps=20, episodes=4)
    return dict(batches=(1, 8, 32), warm=3, calls=20, envs=(1, 64, 512), cam_envs=(1, 64), steps=50, episodes=20)


def one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:300]}" if text else type(e).__name__


class Rec:
    """One stage's result, rewritten to its file after every row (a stage killed at its time
    limit still reports what it finished); `left()` is the stage's remaining time."""

    def __init__(self, path: Path, deadline: float):
        self.path, self.deadline, self.data = path, deadline, {"rows": []}

    def row(self, **r) -> None:
        self.data["rows"].append(r)
        self.save()

    def set(self, **kw) -> None:
        self.data.update(kw)
        self.save()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, default=str, indent=1))
        tmp.replace(self.path)

    def left(self) -> float:
        return self.deadline - time.time()


# ---------------------------------------------------------------------------------------
# Models: the project's module trees, real or tiny sizes, random weights, synthetic inputs.


def tiny_spec():
    from arena_eval.policies.groot.common.tiny import TinySpec

    return TinySpec(state={"left_arm": 7}, action={"left_arm": 7}, video={"ego_view": (64, 64)})


def tiny_dir(out: Path, gen: str) -> Path:
    """A tiny checkpoint of `gen` with one camera, written once per --out and shared by the stages."""
    from arena_eval.policies.groot import write_tiny, write_tiny_n1x

    d = out / "tiny" / gen
    if not (d / "done").exists():
        shutil.rmtree(d, ignore_errors=True)
        if gen in ("n1.6", "n1.7"):
            write_tiny_n1x(d / "checkpoint", d / "processor", arch=gen, spec=tiny_spec())
        else:
            write_tiny(d / "checkpoint", d / "processor", arch=gen, embodiments={"new_embodiment": tiny_spec()})
        (d / "done").touch()
    return d


def build(gen: str, device: str, dtype, tiny: Path | None = None):
    """The generation's model with uninitialised weights on `device` (the loaders' own
    build_empty*, which build on the meta device): the published sizes, or a tiny checkpoint's."""
    import torch

    from arena_eval.policies.groot.n1 import config as c1
    from arena_eval.policies.groot.n1.eagle_config import load_eagle_config
    from arena_eval.policies.groot.n1.model import build_empty
    from arena_eval.policies.groot.n1x import config as cx
    from arena_eval.policies.groot.n1x.backbone_config import load_backbone_config
    from arena_eval.policies.groot.n1x.model import build_empty as build_empty_n1x

    proc, dev = (tiny / "processor" if tiny else None), torch.device(device)
    if gen in ("n1", "n1.5"):
        mt = c1.N15 if gen == "n1.5" else c1.N1
        pub = copy.deepcopy(c1.PUBLISHED[mt])
        cfg = c1.load_config(tiny / "checkpoint") if tiny else c1.parse_config(pub, "published")
        return build_empty(cfg, load_eagle_config(proc, mt), dev, dtype)
    from bench_groot import RELEASED_N1X

    mt = cx.N16 if gen == "n1.6" else cx.N17
    pub = {"model_type": mt, **RELEASED_N1X[mt]}
    cfg = cx.load_config(tiny / "checkpoint") if tiny else cx.parse_config(pub, "published")
    bb, where = load_backbone_config(proc, mt)
    return build_empty_n1x(cfg, bb, dev, dtype, where)


def fill_random(model, seed: int = 0):
    """Small random weights in place, on the model's device (3B parameters never see a CPU
    init): norm scales 1, biases 0, everything else N(0, 0.02)."""
    import torch

    g = torch.Generator(device=model.device).manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim >= 2:
                p.normal_(0.0, 0.02, generator=g)
            else:
                p.zero_() if name.endswith("bias") else p.fill_(1.0)
    return model


def synthetic_inputs(model, gen: str, batch: int, text_tokens: int = 32, seed: int = 0):
    """(inputs, image token id): one camera frame and `text_tokens` prompt tokens per row, at the
    shapes the generation's processor gives, read from the model's config: N1/N1.5 an SxS frame
    ((S/14)^2 tokens, N1 pixel-shuffled to a quarter); N1.6 a 252-pixel frame (81 tokens);
    N1.7 a 16x16 patch grid (64 tokens)."""
    import torch

    g, grid = torch.Generator().manual_seed(seed), None
    if gen in ("n1", "n1.5"):
        e = model.eagle_cfg
        vocab = e.text["vocab_size"]
        img = e.image_token_index if e.image_token_index is not None else vocab - 1
        n_img, specials = e.tokens_per_image, {img}
        px = torch.randn(batch, 3, e.image_size, e.image_size, generator=g)
        state_dim = model.cfg.action_head_cfg.max_state_dim
    elif gen == "n1.6":
        eagle = model.backbone.model
        img, vocab = eagle.image_token_id, eagle.language_model.model.config.vocab_size
        side = 18 * eagle.vision_model.vision_model.patch_size  # the released processor: 256 -> 252 pixels
        px, n_img, specials = [torch.randn(batch, 3, side, side, generator=g)], 81, {img}
        state_dim = model.cfg.max_state_dim
    else:
        c = model.backbone.model.model.config
        vc, vocab, img = c.vision_config, c.text_config.vocab_size, c.image_token_id
        side = 256 // vc.patch_size  # one 256x256 frame
        px = torch.randn(batch * side * side, vc.in_channels * vc.temporal_patch_size * vc.patch_size**2, generator=g)
        grid, n_img = torch.tensor([[1, side, side]] * batch), side * side // vc.spatial_merge_size**2
        specials = {img, c.video_token_id, c.vision_start_token_id, c.vision_end_token_id}
        state_dim = model.cfg.max_state_dim
    allowed = torch.tensor([i for i in range(min(vocab, 4096)) if i not in specials])
    text = allowed[torch.randint(len(allowed), (batch, text_tokens), generator=g)]
    ids = torch.cat([text[:, :8], torch.full((batch, n_img), img), text[:, 8:]], 1)
    rest = (torch.randn(batch, 1, state_dim, generator=g), torch.zeros(batch, dtype=torch.long))
    if gen in ("n1", "n1.5"):
        from arena_eval.policies.groot.n1.model import ModelInputs

        return ModelInputs(ids, torch.ones_like(ids), px, *rest), img
    from arena_eval.policies.groot.n1x.model import N1xInputs

    return N1xInputs(ids, torch.ones_like(ids), px, grid, *rest), img


def timed(fn, warm: int, calls: int, cuda: bool) -> dict:
    import torch

    for _ in range(warm):
        fn()
    ms = []
    for _ in range(calls):
        if cuda:  # two events around the call (get_action ends in a copy to the host, a sync)
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            ms.append(a.elapsed_time(b))
        else:
            t0 = time.perf_counter()
            fn()
            ms.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": round(statistics.median(ms), 2), "p90_ms": round(float(np.percentile(ms, 90)), 2)}


def latency_rows(rec: Rec, gens, device: str, dtype, batches, warm: int, calls: int,
                 tiny_out: Path | None = None, compile_: bool = False) -> str:
    """One row per (generation, batch); a failure (out of memory, a compile error) is that row's."""
    import torch

    cuda, done = device.startswith("cuda"), []
    for gen in gens:
        if rec.left() < 20:
            rec.row(generation=gen, status="skipped: stage time limit")
            continue
        t0 = time.time()
        try:
            model = fill_random(build(gen, device, dtype, tiny_dir(tiny_out, gen) if tiny_out else None))
        except Exception as e:
            rec.row(generation=gen, error="build: " + one_line(e))
            continue
        params, weights = sum(p.numel() for p in model.parameters()), torch.cuda.memory_allocated() if cuda else 0
        build_s = round(time.time() - t0, 1)
        if compile_:  # what get_action calls: the backbone once, the DiT once per denoising step
            model.backbone.compile()
            model.action_head.model.compile()
        head = model.cfg if gen in ("n1.6", "n1.7") else model.cfg.action_head_cfg
        steps = head.num_inference_timesteps or 4
        for b in batches:
            row = dict(generation=gen, batch=b, params_b=round(params / 1e9, 3), dtype=str(dtype)[6:], steps=steps,
                       build_s=build_s)
            try:
                x, img = synthetic_inputs(model, gen, b)
                x = x.to(model.device, model.dtype)  # on the device already: the call's own copies are no-ops
                noise = model.initial_noise(b, torch.Generator().manual_seed(0))
                args = (x, img, steps) if gen in ("n1", "n1.5") else (x, steps)
                call = lambda m=model: m.get_action(*args, noise=noise)  # noqa: E731
                if cuda:
                    torch.cuda.reset_peak_memory_stats()
                t1 = time.time()
                out = call()  # the first call (under torch.compile it compiles)
                row["first_call_s"] = round(time.time() - t1, 2)
                row.update(timed(call, max(0, warm - 1), calls, cuda))
            except Exception as e:
                rec.row(**row, error=one_line(e))
                if cuda:
                    torch.cuda.empty_cache()
                continue
            row.update(per_row_ms=round(row["median_ms"] / b, 2), chunk=list(out.shape),
                       finite=bool(torch.isfinite(out).all()))
            if cuda:
                row.update(weights_gib=round(weights / 2**30, 2),
                           peak_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2))
            if b == 1:
                done.append(f"{gen} {row['median_ms']:.1f} ms")
            if cuda and b == 1 and gen in ANCHORS_MS:
                lo, hi, how = ANCHORS_MS[gen]
                row.update(anchor_ms=f"{lo:g}" + (f"-{hi:g}" if hi != lo else "") + f" ({how})",
                           ratio_to_anchor=round(row["median_ms"] / ((lo + hi) / 2), 2))
                done[-1] += f" ({row['ratio_to_anchor']}x the published {row['anchor_ms']})"
            rec.row(**row)
        del model
        if cuda:
            torch.cuda.empty_cache()
    return "batch 1: " + "; ".join(done) if done else "no row finished"


# ---------------------------------------------------------------------------------------
# Stages: each gets (rec, args, cuda) and returns a one-line summary; rows go to rec.


def stage_latency_dry_run(rec, a, cuda):
    import torch

    torch.set_num_threads(1)  # tiny models: one thread is fast and robust on a shared CPU
    latency_rows(rec, GENERATIONS, "cpu", torch.float32, (1, 2), 1, 2, tiny_out=a.out)
    bad = [r for r in rec.data["rows"] if not r.get("finite")]
    if bad:
        raise RuntimeError(f"{len(bad)} tiny rows gave a non-finite or no chunk: {bad[0]}")
    return f"{len(GENERATIONS)} generations built, filled, called at batch 1 and 2 (tiny, CPU: times not comparable)"


def stage_agreement(rec, a, cuda):
    import torch

    from arena_eval.cards import ANNOTATION_KEY, parse_policy
    from arena_eval.policies import make_policy
    from arena_eval.policies.groot.common.tiny import tiny_card

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    obs = {"video.ego_view": rng.integers(0, 256, (2, 1, 64, 64, 3), dtype=np.uint8),
           "state.left_arm": rng.normal(size=(2, 1, 7)).astype(np.float32),
           ANNOTATION_KEY: ["pick up the box", "open the drawer"]}
    # (run, reference, tolerance relative to the action scale): CPU twice must be bit-identical.
    pairs = [("cpu float32 rebuilt", "cpu float32", 0.0)]
    if cuda:
        pairs += [("cuda float32", "cpu float32", 1e-3), ("cuda bfloat16", "cuda float32", 5e-2)]
        # TF32 changes float32 results on CUDA: say which the comparison ran under (PyTorch's defaults).
        rec.set(matmul_precision=torch.get_float32_matmul_precision(), cudnn_tf32=torch.backends.cudnn.allow_tf32)
    worst: dict[str, float] = {}
    for gen in GENERATIONS:
        d = tiny_dir(a.out, gen)

        def policy(device, dtype):
            card = tiny_card(f"tiny-{gen}", d / "checkpoint", d / "processor", tiny_spec())
            card["device"], card["params"]["dtype"] = device, dtype
            return make_policy(parse_policy(card, str(d / "card.yaml")))

        ref = policy("cpu", "float32")
        noise = ref.model.initial_noise(2, torch.Generator().manual_seed(0))
        runs = {"cpu float32": ref.predict(obs, noise=noise)}
        for name, _, _ in pairs:
            runs[name] = policy(*name.split()[:2]).predict(obs, noise=noise)
        scale = max(float(np.abs(v).max()) for v in runs["cpu float32"].values())
        for x, y, tol in pairs:
            diff = max(float(np.abs(runs[x][k] - runs[y][k]).max()) for k in runs[y])
            rec.row(generation=gen, compare=f"{x} vs {y}", max_abs_diff=diff, action_scale=round(scale, 3),
                    tolerance=tol * max(1.0, scale), within=diff <= tol * max(1.0, scale))
            worst[f"{x} vs {y}"] = max(worst.get(f"{x} vs {y}", 0.0), diff)
    if not all(r["within"] for r in rec.data["rows"] if r["tolerance"] == 0.0):
        raise RuntimeError("two CPU float32 builds of one tiny checkpoint gave different chunks for the same noise")
    out = "; ".join(f"{k}: max |diff| {v:.3g}" for k, v in worst.items())
    return f"{len(GENERATIONS)} generations; {out}" + ("" if cuda else f" (CUDA rows: {NO_CUDA})")


def stage_latency(rec, a, cuda):
    import torch

    z = sizes(a.quick)
    return latency_rows(rec, GENERATIONS, "cuda", torch.bfloat16, z["batches"], z["warm"], z["calls"])


def stage_latency_compiled(rec, a, cuda):
    import torch

    z = sizes(a.quick)
    return latency_rows(rec, ("n1.6", "n1.5"), "cuda", torch.bfloat16, (1,), z["warm"], z["calls"], compile_=True)


def stage_sim_fps(rec, a, cuda):
    import bench_env

    from arena_eval.cards import load_suite

    z = sizes(a.quick)
    tasks = [load_suite(s).task(t) for s, t in SIM_TASKS]
    largest = {}
    for n, cam in [(n, False) for n in z["envs"]] + [(n, True) for n in z["cam_envs"]]:
        for task in tasks:  # both tasks at each size before the next: what fits comes first
            row = dict(task=task.name, num_envs=n, camera=cam, device=SIM_DEVICE, steps=z["steps"])
            if rec.left() < 40:
                rec.row(**row, status="skipped: stage time limit")
                continue
            t = bench_env.variant(task, n, cam, z["steps"])
            t = dataclasses.replace(t, env=dataclasses.replace(t.env, device=SIM_DEVICE))
            t0 = time.time()
            try:
                r = bench_env.measure(t, z["steps"])
            except Exception as e:  # a size that does not fit is a row, not the stage
                rec.row(**row, error=one_line(e))
                continue
            rec.row(**row, bare_fps=round(r["bare_fps"], 1), harness_fps=round(r["harness_fps"], 1),
                    harness_over_bare=round(r["ratio"], 3), seconds=round(time.time() - t0, 1))
            if not cam:
                largest[task.name] = f"{r['bare_fps']:.0f} env-frames/s at {n} envs"
    return "; ".join(f"{k} {v}" for k, v in largest.items())


def write_suite(path: Path, device: str, entries, backend: str) -> Path:
    """A suite card of the named tasks, copied from their own cards, with the env's device and backend set."""
    import yaml

    from arena_eval.cards import TASKS_DIR

    tasks = []
    for suite, name in entries:
        card = yaml.safe_load((TASKS_DIR / f"{suite}.yaml").read_text())
        t = next(t for t in card["tasks"] if t["name"] == name)
        t["env"].update(device=device, backend=backend)
        tasks.append(t)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"name": "gpu_check", "description": f"gpu_check.py on {device}", "tasks": tasks}))
    return path


def evaluate(out: Path, **kw) -> subprocess.Popen:
    """scripts/evaluate.py in a subprocess (seed 0, no videos), its output in <out>.log."""
    cmd = [sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--seed", "0", "--videos", "0", "--no-progress"]
    for k, v in dict(kw, out=out).items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    with open(out.parent / f"{out.name}.log", "w") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)


def finish(p: subprocess.Popen, rec: Rec, what: str, run: Path) -> str:
    """'ok' or what went wrong; a finished run also says where its manifest says it ran."""
    try:
        rc = p.wait(timeout=max(1.0, rec.left() - 5))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return f"{what}: killed at the stage's time limit"
    if rc != 0:
        return f"{what}: exit code {rc} (its log beside the run directory)"
    m = json.loads((run / "manifest.json").read_text())
    return f"ok (device {m.get('device')}, {', '.join(m.get('backend') or [])})"


def outcomes(run: Path, task: str, limit: int | None = None) -> dict:
    """episode -> (seed, outcome) of one task of a run directory (whatever it holds so far)."""
    from arena_eval.records import load_run

    if not (run / "manifest.json").is_file():
        return {}
    return {r.episode: (r.seed, r.outcome) for r in load_run(run)[1]
            if r.task == task and (limit is None or r.episode < limit)}


def paired(rec: Rec, task: str, gpu: dict, ref: dict, ref_name: str, status: dict) -> str:
    both = [k for k in gpu if k in ref]
    wins = lambda d: sum(v[1] == "success" for v in d.values())  # noqa: E731
    agree = sum(gpu[k][1] == ref[k][1] for k in both)
    rec.row(task=task, cuda_success=f"{wins(gpu)}/{len(gpu)}", cuda_errors=sum(v[1] == "error" for v in gpu.values()),
            **{f"{ref_name}_success": f"{wins(ref)}/{len(ref)}"}, paired=len(both),
            same_seeds=all(gpu[k][0] == ref[k][0] for k in both), outcomes_agree=agree, **status)
    return f"{task}: {wins(gpu)}/{len(gpu)} on CUDA, {ref_name} {wins(ref)}/{len(ref)}, {agree}/{len(both)} agree"


def stage_scripted_eval(rec, a, cuda):
    n, work = sizes(a.quick)["episodes"], a.out / "runs"
    gpu_card = write_suite(work / "suite-cuda.yaml", SIM_DEVICE, SIM_TASKS, "isaaclab")
    cpu_card = write_suite(work / "suite-cpu.yaml", "cpu", SIM_TASKS, "isaaclab_workers")
    runs = (work / "scripted-cuda", work / "scripted-cpu")
    # Side by side: the CPU workers take the cores, the CUDA run (one env per episode) the GPU.
    gpu = evaluate(runs[0], suite=gpu_card, policy="scripted", num_envs=n, episodes=n)
    cpu = evaluate(runs[1], suite=cpu_card, policy="scripted", episodes=n)
    status = {"cuda_run": finish(gpu, rec, "CUDA run", runs[0]), "cpu_run": finish(cpu, rec, "CPU worker run", runs[1])}
    rows = [paired(rec, t, outcomes(runs[0], t), outcomes(runs[1], t), "cpu_workers", status) for _, t in SIM_TASKS]
    if not status["cuda_run"].startswith("ok"):
        raise RuntimeError(status["cuda_run"])
    return "; ".join(rows) + ("" if status["cpu_run"].startswith("ok") else f" ({status['cpu_run']})")


def stage_e2e_camera(rec, a, cuda):
    import yaml

    from arena_eval.cards import POLICIES_DIR

    n, work, task = sizes(a.quick)["episodes"], a.out / "runs", E2E["task"]
    card = yaml.safe_load((POLICIES_DIR / f"{E2E['policy']}.yaml").read_text())
    card["checkpoint"] = str((POLICIES_DIR / card["checkpoint"]).resolve())
    card["params"]["processor_dir"] = str((POLICIES_DIR / card["params"]["processor_dir"]).resolve())
    card["device"] = POLICY_DEVICE  # dtype auto: bfloat16 on CUDA
    suite = write_suite(work / "suite-e2e.yaml", SIM_DEVICE, [(E2E["suite"], task)], "isaaclab")
    (work / "e2e-policy.yaml").write_text(yaml.safe_dump(card))
    p = evaluate(work / "e2e-cuda", suite=suite, policy=work / "e2e-policy.yaml", num_envs=n, episodes=n)
    status = {"cuda_run": finish(p, rec, "CUDA run", work / "e2e-cuda")}
    # The baseline's plan is longer, same seed: its first n episodes are this plan's.
    base = outcomes(E2E["baseline"], task, n)
    row = paired(rec, task, outcomes(work / "e2e-cuda", task), base, "cpu_baseline", status)
    if not status["cuda_run"].startswith("ok"):
        raise RuntimeError(status["cuda_run"])
    return f"{E2E['policy']} (bfloat16): {row}"


STAGE_FUNCS = {name: globals()[f"stage_{name}"] for name in STAGES}


# ---------------------------------------------------------------------------------------
# The driver: each stage in its own process group, the report rewritten after every stage.


def run_stage(name: str, a, limit: float) -> dict:
    res_file, log = a.out / "stages" / f"{name}.json", a.out / "logs" / f"{name}.log"
    for d in (res_file.parent, log.parent):
        d.mkdir(parents=True, exist_ok=True)
    res_file.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_stage", name, "--_result", str(res_file),
           "--_deadline", str(time.time() + limit - 10), "--out", str(a.out)] + (["--quick"] if a.quick else [])
    t0 = time.time()
    with open(log, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        try:
            rc = p.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            rc = None
        try:  # the stage's own process group: whatever it left running (evaluations, workers)
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    res = json.loads(res_file.read_text()) if res_file.is_file() else {"rows": []}
    res.update(seconds=round(time.time() - t0, 1), limit_s=round(limit), log=str(log.relative_to(a.out)))
    if rc is None:
        res.update(status="timeout", error=f"killed at its time limit of {limit:.0f} s ({len(res['rows'])} rows kept)")
    elif rc != 0 and res.get("status") != "failed":
        lines = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
        res.update(status="failed", error=f"exit code {rc}: {lines[-1][:300] if lines else 'no output'}")
    return res


def cell(v) -> str:
    return (f"{v:.4g}" if isinstance(v, float) else str(v)).replace("|", "\\|").replace("\n", " ")


def write_report(out: Path, report: dict) -> None:
    """gpu_check.json, and gpu_check.md: one row per stage, then each stage's rows as a table."""
    (out / "gpu_check.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    r = report
    lines = ["# GPU check (benchmarks/gpu_check.py)", "",
             f"Device: {r.get('device') or 'none (' + NO_CUDA + ' found)'}; torch {r['torch']}; git {r['git']}; "
             f"{'quick sizes; ' if r['quick'] else ''}total {r.get('total_s', '?')} s.", "",
             "| stage | status | seconds | result |", "|---|---|---|---|"]
    for name, s in r["stages"].items():
        text = s.get("summary") or s.get("error") or s.get("reason") or ""
        lines.append(f"| {name} | {s['status']} | {cell(s.get('seconds', ''))} | {cell(text)} |")
    for name, s in r["stages"].items():
        rows = s.get("rows") or []
        if rows:
            cols = list(dict.fromkeys(k for row in rows for k in row))
            lines += ["", f"## {name}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            lines += ["| " + " | ".join(cell(row.get(c, "")) for c in cols) + " |" for row in rows]
    (out / "gpu_check.md").write_text("\n".join(lines) + "\n")


def child(a) -> int:
    import torch

    rec = Rec(Path(a._result), a._deadline)
    cuda = torch.cuda.is_available()
    if cuda:
        rec.set(device=torch.cuda.get_device_name(0))
    try:
        summary = STAGE_FUNCS[a._stage](rec, a, cuda)
        rows = rec.data["rows"]
        errors = [r["error"] for r in rows if "error" in r]
        if errors and len(errors) == len(rows):
            raise RuntimeError(f"every row failed, the first: {errors[0]}")
        # partial: some rows failed (512 envs did not fit) or were left out at the stage's time limit
        rec.set(status="partial" if errors or any("status" in r for r in rows) else "ok", summary=summary)
        return 0
    except Exception as e:
        traceback.print_exc()
        rec.set(status="failed", error=one_line(e))
        return 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=None, help="for gpu_check.json/.md and logs/ (default: a new temp dir)")
    p.add_argument("--quick", action="store_true", help="small sizes (batches 1, 8; 1 and 16 envs; 4 episodes)")
    p.add_argument("--stages", default=None, help=f"comma-separated subset, run in this order: {','.join(STAGES)}")
    p.add_argument("--budget", type=float, default=590.0, help="seconds for all stages together (default 590)")
    p.add_argument("--limit-scale", type=float, default=1.0, help="multiply each stage's own time limit (default 1)")
    p.add_argument("--_stage", choices=list(STAGES), default=None, help=argparse.SUPPRESS)  # a stage's own process
    p.add_argument("--_result", default=None, help=argparse.SUPPRESS)
    p.add_argument("--_deadline", type=float, default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a._stage:
        return child(a)
    if a.budget <= 0 or a.limit_scale <= 0:
        print("error: --budget and --limit-scale must be positive", file=sys.stderr)
        return 2
    names = a.stages.split(",") if a.stages else list(STAGES)
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        print(f"error: --stages: unknown stage {unknown[0]!r} (known: {', '.join(STAGES)})", file=sys.stderr)
        return 2
    a.out = a.out or Path(tempfile.mkdtemp(prefix="gpu-check-"))
    if a.out.exists() and not a.out.is_dir():
        print(f"error: --out {a.out}: exists and is not a directory", file=sys.stderr)
        return 2
    a.out.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    import torch

    cuda = torch.cuda.is_available()
    if not cuda:
        print(f"{NO_CUDA} found: ran only the stages that need none; the others are recorded as skipped")
    git = [subprocess.run(["git", *c], cwd=ROOT, capture_output=True, text=True).stdout.strip()
           for c in (["rev-parse", "--short", "HEAD"], ["status", "--porcelain", "--untracked-files=no"])]
    report = {"tool": "benchmarks/gpu_check.py", "cuda": cuda, "device": None, "torch": torch.__version__,
              "git": (git[0] or "unknown") + (" (dirty)" if git[1] else ""), "quick": a.quick, "budget_s": a.budget,
              "stages": {}}
    for name in names:
        needs, limit = STAGES[name]
        left = t_start + a.budget - time.time()
        if needs and not cuda:
            res = {"status": "skipped", "reason": NO_CUDA}
        elif left < 30:
            res = {"status": "skipped", "reason": f"--budget {a.budget:.0f} s spent"}
        else:
            res = run_stage(name, a, min(limit * a.limit_scale, left))
        report["stages"][name] = res
        report["device"] = report["device"] or res.get("device")
        text = res.get("summary") or res.get("error") or res.get("reason") or ""
        took = f" ({res['seconds']} s)" if "seconds" in res else ""
        print(f"{name}: {res['status']}{took}: {text}", flush=True)
        write_report(a.out, report)  # after every stage: a check cut short keeps what it has
    report["total_s"] = round(time.time() - t_start, 1)
    write_report(a.out, report)
    print(f"wrote {a.out / 'gpu_check.json'} and {a.out / 'gpu_check.md'}; total {report['total_s']:.0f} s")
    return 1 if any(s["status"] in ("failed", "timeout") for s in report["stages"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
