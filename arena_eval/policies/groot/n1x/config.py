"""Configuration of GR00T N1.6 (`Gr00tN1d6`) and N1.7 (`Gr00tN1d7`) checkpoints.

Both are `save_pretrained` dumps of one flat dataclass. N1.6's writes only the fields that
differ from the class defaults (the rest live on the class), so a loader must fall back to
the class defaults for every omitted field: `N16_DEFAULTS` and `N17_DEFAULTS` are NVIDIA's
class defaults as recorded in docs/gr00t.md (facts from NVIDIA's code). Released N1.7 values
differ from its class defaults (select_layer 16, 32 DiT layers), which is why values are
always read from the file first.

The backbone's own config is not in the checkpoint either (backbone_config.py).
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from ....errors import UserError
from ..common.config import TransformerConfig
from ..common.jsonfile import read_json
from ..common.sizes import GR00T_DIT, GR00T_FLOW_MATCHING, GR00T_VL_SELF_ATTENTION

N16 = "Gr00tN1d6"
N17 = "Gr00tN1d7"
MODEL_TYPES = (N16, N17)

_COMMON = {
    **GR00T_FLOW_MATCHING,
    "model_dtype": "bfloat16",
    "backbone_embedding_dim": 2048,
    "reproject_vision": False,
    "use_flash_attention": True,
    "load_bf16": True,
    "attn_dropout": 0.2,
    "use_vlln": True,
    "max_seq_len": 1024,
    "use_alternate_vl_dit": True,
    "attend_text_every_n_blocks": 2,
    "state_dropout_prob": 0.0,
    "shortest_image_edge": 256,
    "crop_fraction": 0.95,
    "image_crop_size": None,
    "image_target_size": None,
    "use_albumentations_transforms": True,
    "formalize_language": True,
    "apply_sincos_state_encoding": False,
    "use_relative_action": False,
}
N16_DEFAULTS: dict[str, Any] = {
    **_COMMON,
    "model_name": "nvidia/Eagle-Block2A-2B-v2",
    "backbone_model_type": "eagle",
    "select_layer": 16,
    "max_state_dim": 29,
    "max_action_dim": 29,
    "action_horizon": 16,
    "diffusion_model_cfg": dict(GR00T_DIT),
}
N17_DEFAULTS: dict[str, Any] = {
    **_COMMON,
    "model_name": "nvidia/Cosmos-Reason2-2B",
    "backbone_model_type": "qwen",
    "select_layer": 12,  # class default; the released 3B file says 16
    "max_state_dim": 132,
    "max_action_dim": 132,
    "action_horizon": 40,
    "state_dropout_prob": 0.8,
    "image_crop_size": [230, 230],
    "image_target_size": [256, 256],
    "use_relative_action": True,
    "diffusion_model_cfg": {**GR00T_DIT, "num_layers": 16},
    "vl_self_attention_cfg": dict(GR00T_VL_SELF_ATTENTION),
}
DEFAULTS = {N16: N16_DEFAULTS, N17: N17_DEFAULTS}

_INT_FIELDS = (
    "select_layer",
    "max_state_dim",
    "max_action_dim",
    "action_horizon",
    "hidden_size",
    "input_embedding_dim",
    "backbone_embedding_dim",
    "max_seq_len",
    "attend_text_every_n_blocks",
    "num_inference_timesteps",
    "num_timestep_buckets",
    "max_num_embodiments",
)


@dataclasses.dataclass
class N1xConfig:
    """The fields inference uses (everything else is kept in `raw`, as read)."""

    model_type: str
    select_layer: int
    max_state_dim: int
    max_action_dim: int
    action_horizon: int
    hidden_size: int
    input_embedding_dim: int
    backbone_embedding_dim: int
    max_seq_len: int
    attend_text_every_n_blocks: int
    num_inference_timesteps: int
    num_timestep_buckets: int
    max_num_embodiments: int
    add_pos_embed: bool
    use_vlln: bool
    use_alternate_vl_dit: bool
    state_dropout_prob: float
    noise_beta_alpha: float
    noise_beta_beta: float
    noise_s: float
    diffusion_model_cfg: TransformerConfig
    vl_self_attention_cfg: TransformerConfig | None
    raw: dict[str, Any]

    @property
    def is_n17(self) -> bool:
        return self.model_type == N17


def parse_config(data: Any, where: str) -> N1xConfig:
    if not isinstance(data, dict):
        raise UserError("expected a JSON object", where=where)
    mt = data.get("model_type")
    if mt not in MODEL_TYPES:
        raise UserError(f"model_type {mt!r} is not a GR00T N1.6 or N1.7 checkpoint {MODEL_TYPES}", where=where)
    full = copy.deepcopy(DEFAULTS[mt])
    for k, v in data.items():
        if isinstance(v, dict) and isinstance(full.get(k), dict):
            full[k] = {**full[k], **v}  # nested configs: the class default dict, overridden per field
        else:
            full[k] = v
    for k in _INT_FIELDS:
        v = full[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise UserError(f"expected an integer >= 1, got {v!r}", where=where, field=k)
    if full.get("reproject_vision"):
        raise UserError("reproject_vision is not supported", where=where, field="reproject_vision")
    if not full["use_alternate_vl_dit"]:
        # The released models use the alternating DiT; the plain path is not implemented.
        raise UserError("only use_alternate_vl_dit true is supported", where=where, field="use_alternate_vl_dit")
    if full.get("apply_sincos_state_encoding"):
        raise UserError(
            "apply_sincos_state_encoding is not supported", where=where, field="apply_sincos_state_encoding"
        )
    dit = TransformerConfig.from_dict(full["diffusion_model_cfg"], where, "diffusion_model_cfg")
    if dit.output_dim != full["hidden_size"]:
        raise UserError(
            f"diffusion_model_cfg.output_dim ({dit.output_dim}) must equal hidden_size ({full['hidden_size']})",
            where=where,
            field="diffusion_model_cfg",
        )
    vlsa = None
    if mt == N17:
        # N1.7 always builds its 4 vl self-attention blocks (the config key is the switch's
        # name in some ports, not a switch in NVIDIA's model).
        vlsa = TransformerConfig.from_dict(full["vl_self_attention_cfg"], where, "vl_self_attention_cfg", plain=True)
    return N1xConfig(
        model_type=mt,
        **{k: int(full[k]) for k in _INT_FIELDS},
        add_pos_embed=bool(full["add_pos_embed"]),
        use_vlln=bool(full["use_vlln"]),
        use_alternate_vl_dit=True,
        state_dropout_prob=float(full["state_dropout_prob"] or 0.0),
        noise_beta_alpha=float(full["noise_beta_alpha"]),
        noise_beta_beta=float(full["noise_beta_beta"]),
        noise_s=float(full["noise_s"]),
        diffusion_model_cfg=dit,
        vl_self_attention_cfg=vlsa,
        raw=full,
    )


def load_config(checkpoint_dir: Path) -> N1xConfig:
    path = checkpoint_dir / "config.json"
    return parse_config(read_json(path), str(path))
