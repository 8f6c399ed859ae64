"""Arm inverse kinematics for the scripted experts, on the MJCF each robot's USD was
converted from (MuJoCo's kinematics only: the experts plan in the policy process, apart from
the simulator)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

import numpy as np


@functools.lru_cache(maxsize=4)
def mj_model(xml: str):
    """The model and a scratch data of an MJCF under the asset root (cached per file)."""
    import mujoco

    m = mujoco.MjModel.from_xml_path(os.path.join(os.environ["ISAACSIM_ASSET_ROOT"], xml))
    return m, mujoco.MjData(m)


def dls_ik(
    xml: str,
    joints: list[str],
    site: str,
    pos: np.ndarray,
    q0: np.ndarray,
    rot_err: Callable[[np.ndarray], np.ndarray],
    *,
    rot_weight: float = 0.5,
    damping: float = 1e-3,
    margin: float = 0.0,
    iters: int = 400,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Damped least squares for one arm, every other joint at 0: drives the site to `pos`
    (model frame) and `rot_err(site rotation)` to zero, the rotation rows weighted by
    `rot_weight`. Steps are clipped to 0.1 rad and joints kept `margin` inside their limits.
    Returns the joints, the site's position and its rotation matrix."""
    import mujoco

    m, d = mj_model(xml)
    qadr = np.array([m.joint(n).qposadr[0] for n in joints])
    dadr = np.array([m.joint(n).dofadr[0] for n in joints])
    lo = np.array([m.joint(n).range[0] for n in joints]) + margin
    hi = np.array([m.joint(n).range[1] for n in joints]) - margin
    sid = m.site(site).id
    d.qpos[:] = 0
    d.qpos[qadr] = q0
    jp, jr = np.zeros((3, m.nv)), np.zeros((3, m.nv))
    for _ in range(iters):
        mujoco.mj_kinematics(m, d)
        mujoco.mj_comPos(m, d)
        e = np.concatenate([pos - d.site_xpos[sid], rot_weight * rot_err(d.site_xmat[sid].reshape(3, 3))])
        if np.linalg.norm(e) < 1e-6:
            break
        mujoco.mj_jacSite(m, d, jp, jr, sid)
        j = np.vstack([jp[:, dadr], rot_weight * jr[:, dadr]])
        dq = j.T @ np.linalg.solve(j @ j.T + damping * np.eye(6), e)
        d.qpos[qadr] = np.clip(d.qpos[qadr] + np.clip(dq, -0.1, 0.1), lo, hi)
    mujoco.mj_kinematics(m, d)
    return d.qpos[qadr].copy(), d.site_xpos[sid].copy(), d.site_xmat[sid].reshape(3, 3).copy()
