"""Two small runtime patches of the installed Newton (1.6.x) for its MuJoCo C solver path
(`SolverMuJoCo(use_mujoco_cpu=True)`), applied by `apply()` before any env is made.

Newton keeps two copies of the model on that path: the MuJoCo-Warp model/data that it
updates whenever Isaac Lab changes the Newton model (`notify_model_changed`), and the
native `MjModel`/`MjData` that `mj_step` actually steps. Its `_notify_model_changed` mirrors
inertia, DOF and constraint properties from the first to the second, but not what
`_update_joint_properties` writes:

1. Fixed-root articulations (the fixed-base G1, the Panda, the cabinets) become MuJoCo
   *mocap* bodies, whose world pose lives in `MjData.mocap_pos/mocap_quat`. When the
   native model is built, that pose is the USD stage's: the articulation prim placed at its
   `init_state.pos` with the robot's own root (the MJCF pelvis, 0.793 m) inside it, so the
   G1 pelvis sits at 1.586 m. Isaac Lab then writes the articulation's root pose (0.793 m)
   into the fixed root joint's `joint_X_p`, and every later root write (per-episode jitter
   of a fixed-base cabinet) goes the same way. Newton copies these into the Warp data's
   `mocap_pos` only, so MuJoCo C kept stepping the robot 0.793 m too high (g1_lift 0/4:
   the pads pass above the box) and the robocasa cabinet at its un-jittered pose while the
   observations, the expert and the camera used the jittered one (open_drawer 0/2).
   The patch copies mocap poses, body and joint frames (world 0) into the native
   model/data after each joint-property change: the native model then agrees with Newton's
   state on every body (checked body by body in tests/integration/test_newton_patches.py).

2. MuJoCo's collision (used on the C path only; MJWarp runs Newton's collision pipeline)
   culls geom pairs with a bounding-volume tree per body (`bvh_aabb`), which the compiler
   stores in each body's *inertial* frame. Newton compiles the MjModel with placeholder
   inertial frames (a centre of mass shifted by 1 mm, and principal axes from the compiled
   inertia), then writes the real `body_ipos`/`body_iquat` into it without rebuilding the
   tree: 43 of the 48 tree boxes of the kitchen scene were stale, and MuJoCo C found no
   contact between the closed gripper's pads and the drawer's handle bar while they
   overlapped by 5.5 mm (open_drawer 0/2; with `mjDSBL_MIDPHASE` the same state gives 8
   contacts). The patch recomputes the boxes from the compiler's tree in the current
   inertial frames (`refresh_bvh`, which reproduces the compiler's boxes exactly on a
   freshly compiled model), and mirrors Newton's geom properties (friction, solver
   parameters, margins, poses) into the native model as it does for joints.

3. `get_max_contact_count()` raises NotImplementedError on that path, and Isaac Lab calls
   it while sizing the contact buffer for contact sensors. The patch returns the contact
   capacity of the Warp data Newton allocates on that path too (the same number the
   MJWarp path gives); nothing reads MuJoCo C contacts through that buffer.

The patches change nothing on the MJWarp path. Applying twice is harmless.
"""

from __future__ import annotations

import numpy as np

_APPLIED = False


def _world0(arr, like: np.ndarray) -> np.ndarray:
    a = arr.numpy()
    if a.ndim == like.ndim + 1:
        a = a[0]
    return a.reshape(like.shape)


def mirror_joint_frames(solver) -> None:
    """Copy what `_update_joint_properties` wrote into the Warp model/data (world 0) into
    the native MjModel/MjData that MuJoCo C steps."""
    mjm, mjd = solver.mj_model, solver.mj_data
    wm, wd = solver.mjw_model, solver.mjw_data
    if mjm is None or mjd is None or wm is None or wd is None:
        return
    if mjm.nmocap:
        mjd.mocap_pos[:] = _world0(wd.mocap_pos, mjd.mocap_pos)
        mjd.mocap_quat[:] = _world0(wd.mocap_quat, mjd.mocap_quat)
    for name in ("body_pos", "body_quat", "jnt_pos", "jnt_axis"):
        dst = getattr(mjm, name)
        if dst.size:
            dst[:] = _world0(getattr(wm, name), dst)


_GEOM_FIELDS = ("geom_friction", "geom_solref", "geom_solimp", "geom_solmix", "geom_margin", "geom_gap",
                "geom_pos", "geom_quat")


def mirror_geoms(solver) -> None:
    """Copy the geom properties `_update_geom_properties` wrote into the Warp model (world 0)
    into the native MjModel (sizes are left alone: they do not change after the build)."""
    mjm, wm = solver.mj_model, solver.mjw_model
    if mjm is None or wm is None or mjm.ngeom == 0:
        return
    for name in _GEOM_FIELDS:
        dst = getattr(mjm, name)
        dst[:] = _world0(getattr(wm, name), dst)


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    from newton import ModelFlags
    from newton.solvers import SolverMuJoCo

    notify = SolverMuJoCo._notify_model_changed
    max_contacts = SolverMuJoCo.get_max_contact_count

    def _notify_model_changed(self, flags):
        notify(self, flags)
        if not getattr(self, "use_mujoco_cpu", False) or self.mj_model is None:
            return
        f = int(flags)
        if f & int(ModelFlags.JOINT_PROPERTIES):
            mirror_joint_frames(self)
        if f & int(ModelFlags.SHAPE_PROPERTIES):
            mirror_geoms(self)
        if f & int(ModelFlags.BODY_INERTIAL_PROPERTIES | ModelFlags.SHAPE_PROPERTIES):
            refresh_bvh(self.mj_model)

    def get_max_contact_count(self) -> int:
        if getattr(self, "use_mujoco_cpu", False):
            wd = getattr(self, "mjw_data", None)
            return int(wd.naconmax) if wd is not None else 1024
        return max_contacts(self)

    SolverMuJoCo._notify_model_changed = _notify_model_changed
    SolverMuJoCo.get_max_contact_count = get_max_contact_count
    _APPLIED = True


def _quat_mat(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def refresh_bvh(mjm) -> None:
    """Recompute every body's bounding-volume boxes (`bvh_aabb`) in its current inertial
    frame, keeping the tree MuJoCo's compiler built."""
    for b in range(mjm.nbody):
        n = int(mjm.body_bvhnum[b])
        if n == 0:
            continue
        adr = int(mjm.body_bvhadr[b])
        ri = _quat_mat(mjm.body_iquat[b])
        pi = mjm.body_ipos[b]

        def box(node: int) -> tuple[np.ndarray, np.ndarray]:
            g = int(mjm.bvh_nodeid[adr + node])
            kids = mjm.bvh_child[adr + node]
            if g >= 0 and kids[0] < 0 and kids[1] < 0:
                rg = _quat_mat(mjm.geom_quat[g])
                c, h = mjm.geom_aabb[g, :3], mjm.geom_aabb[g, 3:]
                r = ri.T @ rg
                centre = ri.T @ (rg @ c + mjm.geom_pos[g] - pi)
                half = np.abs(r) @ h
                lo, hi = centre - half, centre + half
            else:
                parts = [box(int(k)) for k in kids if k >= 0]
                lo = np.min([p[0] for p in parts], axis=0)
                hi = np.max([p[1] for p in parts], axis=0)
            mjm.bvh_aabb[adr + node, :3] = (lo + hi) / 2
            mjm.bvh_aabb[adr + node, 3:] = (hi - lo) / 2
            return lo, hi

        box(0)
