"""Isaac Lab env cfgs of the pick-and-place tasks added for RoboCasa's 24 (PnP*, CoffeeSetupMug,
CoffeeServeMug), built like the fixture tasks (`env_tasks.task_cfg`). The object is held by
contact; success reads where it rests (`success.py`) and that the grip site is 0.25 m from it
(RoboCasa's gripper_obj_far); it fails when the object leaves the counter.
"""

from __future__ import annotations

from .. import milestones as ms
from . import fixtures as F
from . import layout as L
from . import scenes as S
from . import success as su
from .env_cfg import KitchenObjectSceneCfg
from .env_tasks import BOX_H, CAN_H, FAR, KBOX_H, MUG_H, STILL, done, observations, task_cfg

COUNTER_XY = (L.COUNTER_X, (-L.COUNTER_Y, L.COUNTER_Y))
PLATE_TH = 0.7 * F.PLATE[0]  # RoboCasa's check_obj_in_receptacle default: 0.7 x the receptacle's radius
PAN_TH = 0.07  # PnPCounterToStove / PnPStoveToCounter pass th=0.07
PLATE_TOP = L.COUNTER_H + F.PLATE[1]  # a plate resting on the counter (env frame)
PAN_TOP = L.COUNTER_H + F.STOVE_H + 0.002 + F.PAN[1]  # the pan resting on a burner


def _dropped(height: float = L.COUNTER_H - 0.05) -> dict:
    return {"object_dropped": done(su.object_below, height=height)}


def _moved_lifted(height: float = 0.03) -> dict:
    return {"moved": ms.milestone(ms.object_moved, asset="object", distance=0.02),
            "lifted": ms.milestone(ms.object_lifted, asset="object", height=height)}


def _on_plate(heights) -> object:
    return done(su.object_in_receptacle, receptacle="plate", th=PLATE_TH, rec_half_h=F.PLATE[1] / 2, heights=heights,
                far=FAR, max_speed=STILL, rec_top_z=PLATE_TOP)


# ---------------------------------------------------------------- cabinet (the original kitchen's cubby)
PnPCabToCounterEnvCfg = task_cfg(
    "PnPCabToCounterEnvCfg", KitchenObjectSceneCfg, observations("kitchen", ("object",)),
    done(su.object_on_counter, counter_z=L.COUNTER_H, heights=KBOX_H, counter_xy=COUNTER_XY,
         exclude_local=((-0.01, L.CAB_DEPTH), (-L.CAB_HALF_W, L.CAB_HALF_W)), far=FAR, max_speed=STILL,
         fixture="kitchen"),
    failures=_dropped(), milestones={**_moved_lifted(0.01),  # lifted 1 cm off the cubby's floor
                                     "out_of_cabinet": ms.milestone(su.object_over_local, lo=(-0.6, -1.0), hi=(-0.04, 1.0),
                                                           fixture="kitchen")},
    doc="PnPCabToCounter: take the box out of the cubby and set it down on the counter.")

# ---------------------------------------------------------------- sink
_SINK_IN = tuple(zip(*F.SINK_INSIDE))  # (lo, hi) corners of the basin's inside
PnPCounterToSinkEnvCfg = task_cfg(
    "PnPCounterToSinkEnvCfg", S.SinkObjectSceneCfg, observations("sink", ("object", "plate")),
    done(su.object_in_region, lo=_SINK_IN[0], hi=_SINK_IN[1], far=FAR, max_speed=STILL),
    failures=_dropped(), milestones={**_moved_lifted(),
                                     "over_sink": ms.milestone(su.object_over_local, lo=_SINK_IN[0][:2], hi=_SINK_IN[1][:2])},
    doc="PnPCounterToSink: pick the can from the counter and place it in the sink.")
PnPSinkToCounterEnvCfg = task_cfg(
    "PnPSinkToCounterEnvCfg", S.SinkObjectSceneCfg, observations("sink", ("object", "plate")), _on_plate(CAN_H),
    failures=_dropped(), milestones={**_moved_lifted(), "over_plate": ms.milestone(su.object_near, other="plate", radius=PLATE_TH)},
    doc="PnPSinkToCounter: take the can out of the sink and place it on the plate on the counter.")

# ---------------------------------------------------------------- microwave (its door open)
(_TT_XY, _TT_R, _TT_Z) = F.MW_TURNTABLE
PnPCounterToMicrowaveEnvCfg = task_cfg(
    "PnPCounterToMicrowaveEnvCfg", S.MicrowaveObjectSceneCfg, observations("microwave", ("object", "plate")),
    done(su.object_on_disc, centre_local=_TT_XY, radius=_TT_R, top_local=_TT_Z, heights=BOX_H, far=FAR,
         max_speed=STILL),
    failures=_dropped(), milestones={**_moved_lifted(),
                                     "over_turntable": ms.milestone(su.object_over_local, lo=(_TT_XY[0] - _TT_R, _TT_XY[1] - _TT_R),
                                                           hi=(_TT_XY[0] + _TT_R, _TT_XY[1] + _TT_R))},
    doc="PnPCounterToMicrowave: put the box on the open microwave's turntable.")
PnPMicrowaveToCounterEnvCfg = task_cfg(
    "PnPMicrowaveToCounterEnvCfg", S.MicrowaveObjectSceneCfg, observations("microwave", ("object", "plate")),
    _on_plate(BOX_H), failures=_dropped(),
    milestones={**_moved_lifted(), "over_plate": ms.milestone(su.object_near, other="plate", radius=PLATE_TH)},
    doc="PnPMicrowaveToCounter: take the box out of the microwave and put it on the plate on the counter.")

# ---------------------------------------------------------------- stove
PnPCounterToStoveEnvCfg = task_cfg(
    "PnPCounterToStoveEnvCfg", S.StoveObjectSceneCfg, observations("stove", ("object", "plate", "pan")),
    done(su.object_in_receptacle, receptacle="pan", th=PAN_TH, rec_half_h=F.PAN[1] / 2, heights=BOX_H, far=FAR,
         max_speed=STILL, rec_top_z=PAN_TOP),
    failures=_dropped(), milestones={**_moved_lifted(), "over_pan": ms.milestone(su.object_near, other="pan", radius=PAN_TH)},
    doc="PnPCounterToStove: pick the box from the plate and place it in the pan on the stove.")
PnPStoveToCounterEnvCfg = task_cfg(
    "PnPStoveToCounterEnvCfg", S.StoveObjectSceneCfg, observations("stove", ("object", "plate", "pan")),
    done(su.object_in_receptacle, receptacle="plate", th=PAN_TH, rec_half_h=F.PLATE[1] / 2, heights=BOX_H, far=FAR,
         max_speed=STILL, rec_top_z=PLATE_TOP),
    failures=_dropped(), milestones={**_moved_lifted(), "over_plate": ms.milestone(su.object_near, other="plate", radius=PAN_TH)},
    doc="PnPStoveToCounter: pick the box from the pan and place it on the plate on the counter.")

# ---------------------------------------------------------------- coffee station
(_TX, _TY, _TZ) = F.COFFEE_TRAY
CoffeeSetupMugEnvCfg = task_cfg(
    "CoffeeSetupMugEnvCfg", S.CoffeeSceneCfg, observations("coffee_station", ("object",)),
    done(su.object_under_dispenser, site_local=F.COFFEE_PLACE, xy_th=0.04, z_th=0.10, far=FAR),
    failures=_dropped(), milestones={**_moved_lifted(),
                                     "over_tray": ms.milestone(su.object_over_local, lo=(_TX[0], _TY[0]), hi=(_TX[1], _TY[1]))},
    doc="CoffeeSetupMug: put the mug on the drip tray under the dispenser.")
CoffeeServeMugEnvCfg = task_cfg(
    "CoffeeServeMugEnvCfg", S.CoffeeSceneCfg, observations("coffee_station", ("object",)),
    done(su.object_on_counter, counter_z=L.COUNTER_H, heights=MUG_H, counter_xy=COUNTER_XY,
         exclude_local=((_TX[0] - 0.01, F.COFFEE_BODY[0][1]), (_TY[0] - 0.01, _TY[1] + 0.01)), far=FAR,
         max_speed=STILL),
    failures=_dropped(), milestones={**_moved_lifted(),
                                     "off_tray": ms.milestone(su.object_over_local, lo=(-0.6, -1.0), hi=(_TX[0] - 0.03, 1.0))},
    doc="CoffeeServeMug: take the mug from under the dispenser and put it on the counter.")
