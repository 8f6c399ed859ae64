"""N1.6 / N1.7 state and action (un)normalisation, key kind by key kind, against values worked
out by hand from NVIDIA's formulas (StateActionProcessor and gr00t/data/utils.py; the rules are
listed in arena_eval/policies/groot/n1x/state_action.py), and through the policy adapter."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

from arena_eval.cards import ANNOTATION_KEY, parse_policy
from arena_eval.policies import make_policy
from arena_eval.policies.groot import write_tiny_n1x
from arena_eval.policies.groot.common.tiny import TinySpec, tiny_card
from arena_eval.policies.groot.n1x.state_action import (
    MEAN_STD,
    MIN_MAX,
    SIN_COS,
    action_rule,
    compose_eef,
    matrix_to_rot6d,
    normalize_action,
    normalize_state,
    relative_eef,
    state_rule,
    unnormalize_action,
)

ST = {"min": [-1.0], "max": [3.0], "q01": [0.0], "q99": [2.0], "mean": [1.0], "std": [2.0]}
FLAT = {"min": [1.0], "max": [1.0 + 1e-9], "q01": [1.0], "q99": [1.0], "mean": [1.0], "std": [0.0]}
KW = {"use_percentiles": False, "clip_outliers": True, "apply_sincos_state_encoding": False}


def _state(key: str = "k", sin_cos=(), mean_std=(), **kw):
    return state_rule(key, sin_cos_keys=set(sin_cos), mean_std_keys=set(mean_std), kw=KW | kw)


def _action(key: str = "k", relative=False, mean_std=(), **kw):
    return action_rule(key, relative=relative, mean_std_keys=set(mean_std), kw=KW | kw)


# (case, rule, statistics, raw state value(s), normalised value(s) worked out by hand)
STATE_CASES = [
    ("min/max middle", _state(), ST, [1.0], [0.0]),  # 2 (1 + 1) / 4 - 1
    ("min/max top", _state(), ST, [3.0], [1.0]),
    ("min/max clipped", _state(), ST, [5.0], [1.0]),  # 2 * 6 / 4 - 1 = 2 -> 1
    ("min/max unclipped", _state(clip_outliers=False), ST, [5.0], [2.0]),
    ("percentiles", _state(use_percentiles=True), ST, [1.5], [0.5]),  # q01 0, q99 2: 2 * 1.5 / 2 - 1
    ("no spread -> 0", _state(), FLAT, [7.0], [0.0]),  # np.isclose(hi, lo), not only hi == lo
    ("mean/std", _state(mean_std=["k"]), ST, [4.0], [1.5]),  # (4 - 1) / 2
    ("mean/std never clipped", _state(mean_std=["k"]), ST, [11.0], [5.0]),
    ("mean/std, zero std passes x", _state(mean_std=["k"]), FLAT, [4.0], [4.0]),
    ("sin/cos", _state(sin_cos=["k"], apply_sincos_state_encoding=True), ST, [0.0, math.pi / 2],
     [0.0, 1.0, 1.0, 0.0]),  # [sin 0, sin pi/2, cos 0, cos pi/2]
    ("sin/cos key, flag off: min/max", _state(sin_cos=["k"]), ST, [1.0], [0.0]),
    ("sin/cos before mean/std", _state(sin_cos=["k"], mean_std=["k"], apply_sincos_state_encoding=True), ST,
     [0.0], [0.0, 1.0]),
]


@pytest.mark.parametrize("case,rule,st,x,want", STATE_CASES, ids=[c[0] for c in STATE_CASES])
def test_state_rules(case, rule, st, x, want):
    stats = {k: v * len(x) for k, v in st.items()}
    got = normalize_state(np.array([x]), stats, "k", rule)
    np.testing.assert_allclose(got[0], want, atol=1e-12)


REL = {  # relative_action statistics: one row per chunk step
    "min": [[-0.2], [-0.4]], "max": [[0.2], [0.4]], "q01": [[-0.1], [-0.2]], "q99": [[0.1], [0.2]],
    "mean": [[0.0], [0.1]], "std": [[0.1], [0.2]],
}

# (case, rule, statistics, normalised chunk [H] of one dim, world units worked out by hand)
ACTION_CASES = [
    ("absolute min/max", _action(), ST, [0.0, 1.0], [1.0, 3.0]),  # (y + 1) / 2 * 4 - 1
    ("absolute clipped first", _action(), ST, [2.0, -3.0], [3.0, -1.0]),
    ("absolute percentiles", _action(use_percentiles=True), ST, [0.0, -1.0], [1.0, 0.0]),  # q01 0, q99 2
    ("relative min/max per step", _action(relative=True), REL, [1.0, 1.0], [0.2, 0.4]),
    # use_percentiles does not reach relative keys: their bounds are relative_action's min/max
    ("relative ignores percentiles", _action(relative=True, use_percentiles=True), REL, [1.0, -1.0], [0.2, -0.4]),
    ("mean/std", _action(mean_std=["k"]), ST, [3.0, -1.0], [7.0, -1.0]),  # 3 * 2 + 1; never clipped
    ("relative mean/std per step", _action(relative=True, mean_std=["k"]), REL, [1.0, 1.0], [0.1, 0.3]),
    ("mean/std zero std passes y", _action(mean_std=["k"]), FLAT, [0.7, 2.0], [0.7, 2.0]),
]


@pytest.mark.parametrize("case,rule,st,y,want", ACTION_CASES, ids=[c[0] for c in ACTION_CASES])
def test_action_rules(case, rule, st, y, want):
    got = unnormalize_action(np.array(y)[None, :, None], st, "k", rule)
    np.testing.assert_allclose(got[0, :, 0], want, atol=1e-12)


def test_rule_choice_and_its_statistics():
    assert _state().kind == MIN_MAX and _state().bounds == ("min", "max") and _state().clip
    assert _state(use_percentiles=True).bounds == ("q01", "q99")
    assert _state(mean_std=["k"]).kind == MEAN_STD and not _state(mean_std=["k"]).clip
    assert _state(sin_cos=["k"], apply_sincos_state_encoding=True).kind == SIN_COS
    assert _action(use_percentiles=True).bounds == ("q01", "q99") and _action().stats == "action"
    rel = _action(relative=True, use_percentiles=True)
    assert rel.stats == "relative_action" and rel.bounds == ("min", "max")
    # Training: mean/std actions are clipped too (apply_action clips after either branch).
    assert _action(mean_std=["k"]).clip


def test_training_direction_inverts_inference_inside_the_bounds():
    rng = np.random.default_rng(0)
    for rule, st in ((_action(), ST), (_action(relative=True), REL), (_action(mean_std=["k"]), ST)):
        y = rng.uniform(-0.9, 0.9, (3, 2, 1))
        a = unnormalize_action(y, st, "k", rule)
        np.testing.assert_allclose(normalize_action(a, st, "k", rule), y, atol=1e-12)
    # clipped in training for mean/std too: (11 - 1) / 2 = 5 -> 1
    assert normalize_action(np.array([[[11.0]]]), ST, "k", _action(mean_std=["k"]))[0, 0, 0] == 1.0


def test_end_effector_poses_by_hand():
    """State at (1, 0, 0) turned 90 deg about z; a relative step of 1 along the state's x goes
    to (1, 1, 0); rot6d is the first two ROWS of the matrix; rotvec the same pose."""
    rz = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert matrix_to_rot6d(rz).tolist() == [0.0, -1.0, 0.0, 1.0, 0.0, 0.0]
    s6 = np.array([[1.0, 0.0, 0.0, *matrix_to_rot6d(rz)]])
    r6 = np.array([[[1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]]])  # identity rotation
    np.testing.assert_allclose(compose_eef(s6, r6)[0, 0], [1.0, 1.0, 0.0, *matrix_to_rot6d(rz)], atol=1e-12)
    sv = np.array([[1.0, 0.0, 0.0, 0.0, 0.0, math.pi / 2]])
    rv = np.array([[[1.0, 0.0, 0.0, 0.0, 0.0, math.pi / 2]]])  # and another quarter turn
    got = compose_eef(sv, rv, "xyz+rotvec")[0, 0]
    np.testing.assert_allclose(got[:3], [1.0, 1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(got[3:], [0.0, 0.0, math.pi], atol=1e-9)
    back = relative_eef(sv, compose_eef(sv, rv, "xyz+rotvec"), "xyz+rotvec")
    np.testing.assert_allclose(back, rv, atol=1e-9)


# ---------------------------------------------------------------------------------------
# Through the policy: a tiny N1.7 checkpoint with use_percentiles on.

SPEC = TinySpec(state={"left_arm": 7}, action={"left_arm": 7, "base_height": 1}, video={"ego_view": (32, 32)})


@pytest.fixture(scope="module")
def percentile_ckpt(tmp_path_factory):
    base = tmp_path_factory.mktemp("pct")
    write_tiny_n1x(base / "checkpoint", base / "processor", arch="n1.7", spec=SPEC, num_shards=1)
    p = base / "checkpoint" / "processor_config.json"
    pc = json.loads(p.read_text())
    pc["processor_kwargs"]["use_percentiles"] = True
    p.write_text(json.dumps(pc))
    return base


def test_relative_actions_decode_with_min_max_under_percentiles(percentile_ckpt):
    base = percentile_ckpt
    pol = make_policy(parse_policy(tiny_card("t", base / "checkpoint", base / "processor", SPEC), "card.yaml"))
    rng = np.random.default_rng(0)
    obs = {"video.ego_view": rng.integers(0, 256, (2, 1, 32, 32, 3), dtype=np.uint8),
           "state.left_arm": rng.normal(size=(2, 1, 7)).astype(np.float32), ANNOTATION_KEY: ["a", "b"]}
    _, raw = pol.inputs(obs)
    top = np.ones((2, pol.model.cfg.action_horizon, pol.model.cfg.max_action_dim))
    out = pol.decode(top, raw)
    st = pol.emb.stats
    rel_max = np.asarray(st["relative_action"]["left_arm"]["max"])[:16]  # not q99
    np.testing.assert_allclose(out["action.left_arm"], obs["state.left_arm"][:, -1][:, None] + rel_max[None],
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out["action.base_height"][:, :, 0], st["action"]["base_height"]["q99"][0], rtol=1e-6)
    # States under use_percentiles: q01/q99.
    s = st["state"]["left_arm"]
    x, _ = pol.inputs(obs)
    q01, q99 = np.asarray(s["q01"]), np.asarray(s["q99"])
    want = np.clip(2 * (obs["state.left_arm"][:, 0] - q01) / (q99 - q01) - 1, -1, 1)
    np.testing.assert_allclose(x.state[:, 0, :7].numpy(), want, rtol=1e-5, atol=1e-6)


def test_sin_cos_state_keys_fill_twice_their_width(percentile_ckpt, tmp_path):
    base = tmp_path / "sincos"
    shutil.copytree(percentile_ckpt, base)
    p = base / "checkpoint" / "processor_config.json"
    pc = json.loads(p.read_text())
    pc["processor_kwargs"]["apply_sincos_state_encoding"] = True
    pc["processor_kwargs"]["modality_configs"]["new_embodiment"]["state"]["sin_cos_embedding_keys"] = ["left_arm"]
    p.write_text(json.dumps(pc))
    pol = make_policy(parse_policy(tiny_card("t", base / "checkpoint", base / "processor", SPEC), "card.yaml"))
    arm = np.linspace(-1, 1, 7, dtype=np.float32).reshape(1, 1, 7)
    obs = {"video.ego_view": np.zeros((1, 1, 32, 32, 3), np.uint8), "state.left_arm": arm, ANNOTATION_KEY: ["a"]}
    x, _ = pol.inputs(obs)
    a = arm[0, 0].astype(np.float64)
    np.testing.assert_allclose(x.state[0, 0, :14].numpy(), np.concatenate([np.sin(a), np.cos(a)]), rtol=1e-6)
    assert float(x.state[0, 0, 14:].abs().sum()) == 0.0  # zero padding after
