"""The dexmg suite cards and the parts of the suite that need no simulator."""

from __future__ import annotations

import numpy as np

from arena_eval import registry
from arena_eval.cards import load_suite

GR1_KEYS = {"state.left_arm": 7, "state.right_arm": 7, "state.left_hand": 11, "state.right_hand": 11, "state.waist": 3}


def test_dexmg_card_has_gr1_hands_and_a_two_arm_task():
    suite = load_suite("dexmg")
    names = [t.name for t in suite.tasks]
    assert len(names) >= 3
    for t in suite.tasks:
        assert t.expert in registry.expert_names() and t.env.start_state == "dexmg_table"
        assert t.instruction and t.success.kind == "term" and t.failure_terms
        assert any(k.startswith("video.") for k in t.observations)
    for name in ("dexmg_gr1_lift_box", "dexmg_gr1_box_sort"):
        t = suite.task(name)
        # The humanoid's dexterous hands are real joints: state and action keys of 11 each.
        assert {k: t.actions[k.replace("state.", "action.")].dim for k in GR1_KEYS} == GR1_KEYS
        assert not any(a.ignore for a in t.actions.values())
    panda = suite.task("dexmg_panda_lift_tray")
    assert set(panda.actions) == {"action.left_arm", "action.right_arm"}


def test_start_sampler_depends_on_the_seed_alone():
    s = registry.sampler("dexmg_table")
    a, b, c = (s(np.random.default_rng(seed), None) for seed in (5, 5, 6))
    assert a == b and a != c
    assert all(abs(v) <= 0.02 for v in a["object"]["root_pos_offset"].values())


def test_official_dexmg_card_needs_isaac_sim():
    suite = load_suite("dexmg_official")
    ids = {t.env.id for t in suite.tasks}
    assert "IsaacContrib-PickPlace-GR1T2-Abs" in ids and "Isaac-PickPlace-GR1T2-Abs-Mimic-v0" in ids
    for t in suite.tasks:
        assert t.env.app == "isaacsim" and "isaacsim" in t.env.requires
        # Isaac Lab's Pink IK action: two wrist poses (7) and 22 hand joints.
        assert t.action_dim == 36


OFFICIAL_PROBE = r"""
import json
from arena_eval.envs.isaaclab import import_isaaclab
from arena_eval.cards import load_suite
import_isaaclab()
import isaaclab_mimic.envs  # noqa: F401  (registers the Mimic ids)
from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry
out = {}
for t in load_suite("dexmg_official").tasks:
    c = load_cfg_from_registry(t.env.id, "env_cfg_entry_point")
    act = [v for k, v in vars(c.actions).items() if not k.startswith("_")]
    out[t.name] = {
        "terms": [k for k in vars(c.terminations) if not k.startswith("_")],
        "obs": [k for k in vars(c.observations.policy) if not k.startswith("_")],
        "cams": [k for k in vars(c.scene) if k.endswith("_cam")],
        "hands": sum(len(getattr(a, "hand_joint_names", None) or []) for a in act),
        "frames": [len(a.target_eef_link_names) for a in act if hasattr(a, "target_eef_link_names")],
    }
print(json.dumps(out))
"""


def test_official_dexmg_tasks_load_without_isaac_sim():
    """Their ids register and their cfgs load without Isaac Sim; every term, observation
    and camera the card names exists, and the action is two 7-dim wrist poses + 22 hand
    joints."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", OFFICIAL_PROBE], cwd=root, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for t in load_suite("dexmg_official").tasks:
        g = got[t.name]
        assert {t.success.term, *t.failure_terms} <= set(g["terms"]), (t.name, g["terms"])
        for key, o in t.observations.items():
            if o.source.startswith("camera:"):
                assert o.source.split(":", 1)[1] in g["cams"], (t.name, key)
            else:
                assert o.source.split(".", 1)[1] in g["obs"], (t.name, key)
        assert g["hands"] == 22 and g["frames"] == [2], (t.name, g)


def test_official_dexmg_tasks_say_what_is_missing(tmp_path):
    """Without Isaac Sim: one line naming the card and what is missing, exit 2, no run dir."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "o"
    proc = subprocess.run([sys.executable, "scripts/evaluate.py", "--suite", "dexmg_official", "--policy", "random",
                           "--out", str(out)], cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "dexmg_official.yaml" in last and "'isaacsim'" in last and "Isaac Sim" in last
    assert not out.exists()
