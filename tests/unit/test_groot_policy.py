"""The GR00T adapter: binding to a task's spaces, batched get_action over slot subsets,
reproducible noise, one backbone pass per forward (per row, or per call when batched), the
shipped cards, and exit code 2 from the scripts."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
import yaml

from arena_eval.cards import ANNOTATION_KEY, load_policy, load_suite, parse_policy
from arena_eval.errors import UserError, cli_main
from arena_eval.policies import make_policy
from arena_eval.policies.groot import write_tiny
from arena_eval.policies.groot.common.tiny import SMOKE, TinySpec, tiny_card
from arena_eval.policies.groot.n1.policy import PARAMS
from arena_eval.policies.groot.tiny_cli import main as tiny_main

ROOT = Path(__file__).resolve().parents[2]
CAM = TinySpec(state={"arm": 3, "grip": 1}, action={"arm": 3, "grip": 1}, video={"ego_view": (40, 30)})


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Other processes share this CPU: one torch thread beats oversubscribed ones by far.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("policy")
    write_tiny(base / "cam/checkpoint", base / "cam/processor", arch="n1.5", embodiments={"new_embodiment": CAM})
    write_tiny(base / "smoke/checkpoint", base / "smoke/processor", arch="n1", embodiments={"new_embodiment": SMOKE})
    return base


def _card(dirs: Path, which: str, **params) -> dict:
    spec = CAM if which == "cam" else SMOKE
    card = tiny_card(f"tiny-{which}", dirs / which / "checkpoint", dirs / which / "processor", spec)
    card["params"].update(params)
    return card


def _policy(dirs: Path, which: str = "cam", **params):
    return make_policy(parse_policy(_card(dirs, which, **params), str(dirs / f"{which}.yaml")))


def _spaces(
    spec: TinySpec, *, video_hw=(30, 40), extra_action: bool = False
) -> tuple[gym.spaces.Dict, gym.spaces.Dict]:
    obs = {f"video.{k}": gym.spaces.Box(0, 255, (*video_hw, 3), np.uint8) for k in spec.video}
    obs.update({f"state.{k}": gym.spaces.Box(-np.inf, np.inf, (d,), np.float32) for k, d in spec.state.items()})
    act = {f"action.{k}": gym.spaces.Box(-1, 1, (d,), np.float32) for k, d in spec.action.items()}
    if extra_action:
        act["action.base"] = gym.spaces.Box(-1, 1, (2,), np.float32)
    return gym.spaces.Dict(obs), gym.spaces.Dict(act)


def _task(name: str = "t"):
    return dataclasses.replace(load_suite("smoke").tasks[0], name=name)


def _obs(spec: TinySpec, b: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    obs = {f"video.{k}": rng.integers(0, 256, (b, 1, h, w, 3), dtype=np.uint8) for k, (w, h) in spec.video.items()}
    obs.update({f"state.{k}": rng.normal(size=(b, 1, d)).astype(np.float32) for k, d in spec.state.items()})
    obs[ANNOTATION_KEY] = ["keep the pole upright"] * b
    return obs


def _rows(obs: dict, idx) -> dict:
    return {k: (v[idx] if isinstance(v, np.ndarray) else [v[i] for i in idx]) for k, v in obs.items()}


def test_bind_checks_keys_and_shapes_naming_both_sides(dirs):
    pol = _policy(dirs)
    pol.bind(_task(), *_spaces(CAM))
    # frames of another size than the checkpoint's metadata bind: the processor resizes them
    pol.bind(_task(), *_spaces(CAM, video_hw=(64, 64)))
    obs, act = _spaces(CAM)
    del obs.spaces["state.grip"]
    with pytest.raises(
        UserError, match=r"checkpoint embodiment 'new_embodiment'\) needs state.grip but task 't' provides only"
    ):
        pol.bind(_task(), obs, act)
    with pytest.raises(
        UserError,
        match=r"outputs \['action.arm', 'action.grip'\] but task 't' takes "
        r"\['action.arm', 'action.base', 'action.grip'\]",
    ):
        pol.bind(_task(), *_spaces(CAM, extra_action=True))
    # a key the task card ignores (taken but not sent) may be left out, as a checkpoint
    # trained without it does; the smoke task has no such key, so give it one
    t = _task()
    base = dataclasses.replace(next(iter(t.actions.values())), dim=2, ignore=True)
    pol.bind(dataclasses.replace(t, actions={**t.actions, "action.base": base}), *_spaces(CAM, extra_action=True))
    obs, act = _spaces(CAM)
    obs.spaces["state.arm"] = gym.spaces.Box(-1, 1, (4,), np.float32)
    with pytest.raises(UserError, match=r"expects state.arm of shape \(3,\), task 't' gives \(4,\)"):
        pol.bind(_task(), obs, act)


def test_get_action_shapes_and_slot_subsets(dirs):
    pol = _policy(dirs)
    pol.bind(_task(), *_spaces(CAM))
    pol.reset(np.arange(4), [100, 101, 102, 103])
    out = pol.get_action(_rows(_obs(CAM, 4), [1, 3]), np.array([1, 3]))
    assert set(out) == {"action.arm", "action.grip"}
    assert out["action.arm"].shape == (2, 16, 3) and out["action.grip"].shape == (2, 16, 1)
    assert all(v.dtype == np.float32 and np.isfinite(v).all() for v in out.values())


def test_noise_per_episode_does_not_depend_on_the_batch(dirs):
    obs = _obs(CAM, 3)
    a = _policy(dirs)
    a.reset(np.arange(3), [7, 8, 9])
    first = a.get_action(obs, np.arange(3))
    second = a.get_action(obs, np.arange(3))  # the next call of each episode draws new noise
    assert not np.allclose(first["action.arm"], second["action.arm"])
    b = _policy(dirs)
    b.reset(np.array([5]), [8])  # episode seed 8 in another slot, alone in its batch
    alone = b.get_action(_rows(obs, [1]), np.array([5]))
    np.testing.assert_array_equal(alone["action.arm"][0], first["action.arm"][1])  # bitwise: rows run alone
    # and a run is repeatable
    c = _policy(dirs)
    c.reset(np.arange(3), [7, 8, 9])
    np.testing.assert_array_equal(c.get_action(obs, np.arange(3))["action.arm"], first["action.arm"])


def test_noise_per_call_is_reproducible_and_seeded(dirs):
    obs = _obs(CAM, 2)
    runs = []
    for seed in (0, 0, 1):
        card = _card(dirs, "cam", noise="per_call")
        card["seed"] = seed
        pol = make_policy(parse_policy(card, str(dirs / "c.yaml")))
        pol.reset(np.arange(2), [3, 4])
        runs.append(pol.get_action(obs, np.arange(2))["action.arm"])
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_predict_draws_the_noise_first_from_the_callers_generator(dirs):
    pol = _policy(dirs)
    obs = _obs(CAM, 2)
    g = torch.Generator().manual_seed(42)
    out = pol.predict(obs, generator=g)
    noise = torch.randn(2, 16, pol.cfg.action_head_cfg.action_dim, generator=torch.Generator().manual_seed(42))
    np.testing.assert_array_equal(pol.predict(obs, noise=noise)["action.arm"], out["action.arm"])


@pytest.mark.parametrize("per_row", [True, False], ids=["per-row", "batched"])
@pytest.mark.parametrize("steps", [1, 4, 10])
def test_backbone_runs_once_per_forward(dirs, steps, per_row):
    """Once per row by default (each row runs alone: batch invariance), once per call with
    batch_invariant: false; the DiT once per denoising step of each forward."""
    pol = _policy(dirs, denoising_steps=steps, batch_invariant=per_row)
    calls = {"backbone": 0, "dit": 0, "vl_self_attention": 0}
    hooks = [
        pol.model.backbone.register_forward_hook(lambda *a: calls.__setitem__("backbone", calls["backbone"] + 1)),
        pol.model.action_head.model.register_forward_hook(lambda *a: calls.__setitem__("dit", calls["dit"] + 1)),
        pol.model.action_head.vl_self_attention.register_forward_hook(
            lambda *a: calls.__setitem__("vl_self_attention", calls["vl_self_attention"] + 1)
        ),
    ]
    pol.reset(np.arange(3), [1, 2, 3])
    pol.get_action(_obs(CAM, 3), np.arange(3))
    for h in hooks:
        h.remove()
    forwards = 3 if per_row else 1
    assert calls == {"backbone": forwards, "dit": forwards * steps, "vl_self_attention": forwards}


def test_text_and_state_only(dirs):
    """No cameras (the smoke suite): the prompt holds text only; N1 here."""
    pol = _policy(dirs, "smoke")
    pol.bind(_task(), *_spaces(SMOKE))
    pol.reset(np.arange(2), [1, 2])
    x = pol.inputs(_obs(SMOKE, 2))
    assert x.pixel_values is None
    assert "<IMG_CONTEXT>" not in pol.processor.tokenizer.decode(x.input_ids[0])
    out = pol.get_action(_obs(SMOKE, 2), np.arange(2))
    assert out["action.cart_force"].shape == (2, 16, 1)


def test_checkpoint_files_cover_weights_metadata_and_processor(dirs):
    files = _policy(dirs).checkpoint_files()
    names = {Path(f).name for f in files}
    assert {
        "config.json",
        "metadata.json",
        "model.safetensors.index.json",
        "tokenizer.json",
        "chat_template.json",
    } <= names
    assert sum(n.endswith(".safetensors") for n in names) == 2


@pytest.mark.parametrize("card", ["gr00t-n1.5-3b", "gr00t-n1-2b", "gr00t-n1.5-arena-g1"])
def test_shipped_cards(card):
    spec = load_policy(card)
    assert spec.type == "gr00t" and spec.action_horizon == 16
    assert set(spec.params) <= set(PARAMS)
    with pytest.raises(UserError) as e:  # their checkpoints are not on this machine
        make_policy(spec)
    assert "\n" not in str(e.value) and "not found" in str(e.value)
    if card == "gr00t-n1.5-arena-g1":
        p = spec.params
        assert spec.n_action_steps == 16 and p["denoising_steps"] == 10 and p["embodiment_tag"] == "new_embodiment"
        assert list(p["video"]) == ["video.ego_view"]
        assert [k.split(".")[1] for k in p["state"]] == ["left_arm", "right_arm", "left_hand", "right_hand", "waist"]
        assert [k.split(".")[1] for k in p["action"]] == [
            "left_arm",
            "right_arm",
            "left_hand",
            "right_hand",
            "base_height_command",
            "navigate_command",
        ]


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_scripts_exit_2_with_one_line(dirs, tmp_path, capsys):
    card = _card(dirs, "smoke", embodiment_tag="gr1")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(card))
    proc = _run(
        str(ROOT / "scripts/evaluate.py"),
        "--suite",
        "smoke",
        "--policy",
        str(tmp_path / "bad.yaml"),
        "--out",
        str(tmp_path / "run"),
        "--no-progress",
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown embodiment tag 'gr1'" in lines[0], proc.stderr
    assert not (tmp_path / "run").exists()
    # make_tiny_groot.py's main, in-process (its script is the same cli_main wrapper)
    code = cli_main(tiny_main)(["--out", str(tmp_path / "tiny"), "--suite", "g1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "give its size with --video ego_view=WIDTHxHEIGHT" in err[0], err


def test_make_tiny_groot_writes_a_loadable_card(tmp_path, capsys):
    assert cli_main(tiny_main)(["--out", str(tmp_path / "tiny"), "--arch", "n1"]) == 0
    spec = load_policy(str(tmp_path / "tiny" / "policy.yaml"))
    assert spec.params["cpu_threads"] == 1
    torch.set_num_threads(1)
    pol = make_policy(spec)  # relative paths resolve against the card's directory
    pol.bind(load_suite("smoke").tasks[0], *_spaces(SMOKE))


def test_mixed_instruction_lengths_are_padded_and_finite(dirs):
    pol = _policy(dirs)
    o = _obs(CAM, 3)
    o[ANNOTATION_KEY] = ["go", "pick up the apple and place it in the bowl", "x"]
    pol.reset(np.arange(3), [1, 2, 3])
    out = pol.get_action(o, np.arange(3))
    assert all(np.isfinite(v).all() for v in out.values())


def test_bfloat16_weights(dirs):
    """The CUDA dtype, exercised on the CPU: weights in bfloat16, rotary frequencies kept in float32."""
    o = _obs(CAM, 2)
    full, half = _policy(dirs), _policy(dirs, dtype="bfloat16")
    assert half.model.dtype == torch.bfloat16
    rotary = half.model.backbone.eagle.language_model.model.rotary_emb
    assert rotary.inv_freq.dtype == torch.float32
    torch.testing.assert_close(rotary.inv_freq, full.model.backbone.eagle.language_model.model.rotary_emb.inv_freq)
    noise = torch.randn(2, 16, full.cfg.action_head_cfg.action_dim, generator=torch.Generator().manual_seed(0))
    a, b = full.predict(o, noise=noise)["action.arm"], half.predict(o, noise=noise)["action.arm"]
    assert np.isfinite(b).all() and np.abs(a - b).max() < 0.2 * (np.abs(a).max() + 1)
