"""The runtime patches of Newton's MuJoCo C solver path (envs/newton_patches.py): the
bounding-box rebuild against MuJoCo's compiler, and on real Isaac Lab, that the MjData
MuJoCo C steps agrees with Newton's state on every body (fixed-base robot, jittered cabinet)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

XML = """<mujoco><worldbody><body name="a" pos="0 0 1"><joint type="slide" axis="1 0 0"/>
<geom type="box" size="0.1 0.2 0.05" pos="0.3 0 0" quat="0.9 0.1 0.3 0"/>
<geom type="box" size="0.01 0.02 0.3" pos="-0.1 0.2 0.1"/>
<geom type="capsule" size="0.03 0.1" pos="0 -0.2 0.1" quat="0.7 0.7 0 0"/>
<geom type="sphere" size="0.05" pos="0.1 0.1 -0.2"/>
<inertial pos="0.05 0.02 0.01" quat="0.8 0.2 0.5 0.1" mass="1" diaginertia="0.1 0.2 0.3"/>
</body></worldbody></mujoco>"""


def test_refresh_bvh_rebuilds_the_compilers_boxes_in_the_current_inertial_frame():
    import mujoco

    from arena_eval.envs.newton_patches import refresh_bvh

    m = mujoco.MjModel.from_xml_string(XML)
    compiled = m.bvh_aabb.copy()
    m.bvh_aabb[:] = 0.0
    refresh_bvh(m)
    assert np.allclose(m.bvh_aabb, compiled, atol=1e-12)
    # A new inertial frame (what Newton writes after compiling) moves the boxes with it: the
    # root box (all geoms) equals the compiler's for a model with that inertial frame (the
    # compiler may split the tree differently there, so only the root is comparable).
    m2 = mujoco.MjModel.from_xml_string(XML.replace('pos="0.05 0.02 0.01" quat="0.8 0.2 0.5 0.1"', 'pos="0 0 0" quat="1 0 0 0"'))
    m.body_ipos[1], m.body_iquat[1] = m2.body_ipos[1], m2.body_iquat[1]
    refresh_bvh(m)
    root = m.body_bvhadr[1]
    assert np.allclose(m.bvh_aabb[root], m2.bvh_aabb[m2.body_bvhadr[1]], atol=1e-12)
    assert not np.allclose(m.bvh_aabb[root], compiled[root], atol=1e-3)


PROBE = r"""
import dataclasses, json, sys
import numpy as np
from arena_eval.envs import make_env
from arena_eval.cards import load_suite

suite, name, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
task = load_suite(suite).task(name)
cfg = {**task.env.cfg, "sim.physics.solver_cfg.use_mujoco_cpu": True}
cfg.update({"scene." + o.source.split(":", 1)[1]: None for k, o in task.observations.items() if k.startswith("video.")})
obs = {k: v for k, v in task.observations.items() if not k.startswith("video.")}
task = dataclasses.replace(task, observations=obs, env=dataclasses.replace(task.env, backend="isaaclab", num_envs=1, cfg=cfg))
env = make_env(task)
from isaaclab_newton.physics.newton_manager import NewtonManager
import mujoco
solver = NewtonManager._solver
env.reset_to(np.array([0]), [seed])
zero = {k: np.zeros((1, a.dim), np.float32) for k, a in task.actions.items()}
gaps = []
for step in range(3):
    env.step_eval(zero)  # MuJoCo's qpos is synced from Newton's state at each step
    mujoco.mj_kinematics(solver.mj_model, solver.mj_data)  # the MjData poses of Newton's current state
    body_q = NewtonManager.get_state_0().body_q.numpy()
    to_newton = solver.mjc_body_to_newton.numpy()[0]
    gaps.append(max(float(np.abs(solver.mj_data.xpos[b] - body_q[to_newton[b]][:3]).max())
                    for b in range(1, solver.mj_model.nbody) if to_newton[b] >= 0))
print(json.dumps({"gaps": gaps, "mocap": solver.mj_data.mocap_pos.tolist()}))
"""


@pytest.mark.isaaclab
@pytest.mark.parametrize("suite,task", [("g1", "g1_lift"), ("robocasa", "open_drawer")])
def test_mujoco_c_bodies_agree_with_newtons_state(suite, task):
    proc = subprocess.run([sys.executable, "-c", PROBE, suite, task, "29"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # Before the patch: 0.793 m (the G1's pelvis height applied twice) and the cabinet's jitter lost.
    assert max(out["gaps"]) < 1e-4, out
