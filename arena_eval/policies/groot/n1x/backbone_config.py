"""The backbone config of an N1.6 or N1.7 checkpoint, which the checkpoint does not carry:
N1.6 reads the Eagle-Block2A `config.json` shipped in NVIDIA's package, N1.7 the `config.json`
of nvidia/Cosmos-Reason2-2B (a Qwen3-VL). The card's `processor_dir` holds that file with the
tokenizer and chat template; without one, the published sizes below are used (for layout
checks and FLOP counts).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ....errors import UserError
from ..common.jsonfile import read_json
from ..common.sizes import QWEN3_1_7B, QWEN3_2K_WIDTHS, SIGLIP_SO400M
from .config import N16

# Eagle 3's connector: the last vision layer, a 2x2 pixel unshuffle, a 2-layer MLP (the only
# layout eagle3.py builds).
EAGLE3_CONNECTOR: dict[str, Any] = {
    "downsample_ratio": 0.5,
    "use_pixel_shuffle": True,
    "mlp_connector_layers": 2,
    "select_layer": -1,
}
EAGLE3_PUBLISHED: dict[str, Any] = {
    "architectures": ["Eagle3_VLForConditionalGeneration"],
    "model_type": "eagle_3_vl",
    "image_token_index": 151669,
    **EAGLE3_CONNECTOR,
    "vision_config": {
        "model_type": "siglip2_vision_model",
        **SIGLIP_SO400M,
        "num_patches": 256,
        "use_windows_attn": False,
        "use_rope": False,
    },
    "text_config": dict(QWEN3_1_7B),
}

QWEN3VL_PUBLISHED: dict[str, Any] = {
    "architectures": ["Qwen3VLForConditionalGeneration"],
    "model_type": "qwen3_vl",
    "image_token_id": 151655,
    "video_token_id": 151656,
    "vision_start_token_id": 151652,
    "vision_end_token_id": 151653,
    "tie_word_embeddings": True,
    "vision_config": {
        "model_type": "qwen3_vl",
        "depth": 24,
        "hidden_size": 1024,
        "intermediate_size": 4096,
        "num_heads": 16,
        "in_channels": 3,
        "patch_size": 16,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "out_hidden_size": 2048,
        "num_position_embeddings": 2304,
        "deepstack_visual_indexes": [5, 11, 17],
        "hidden_act": "gelu_pytorch_tanh",
    },
    "text_config": {
        "model_type": "qwen3_vl_text",
        **QWEN3_2K_WIDTHS,
        "max_position_embeddings": 262144,
        "rope_theta": 5000000,
        "rope_scaling": {"rope_type": "default", "mrope_section": [24, 20, 20], "mrope_interleaved": True},
        "vocab_size": 151936,
    },
}


def load_backbone_config(processor_dir: Path | None, model_type: str) -> tuple[dict[str, Any], str]:
    """The backbone's config.json (as a dict) and where it came from."""
    published = EAGLE3_PUBLISHED if model_type == N16 else QWEN3VL_PUBLISHED
    if processor_dir is not None and (processor_dir / "config.json").is_file():
        path = processor_dir / "config.json"
        data = read_json(path)
        want = published["model_type"]
        if not isinstance(data, dict) or data.get("model_type") != want:
            got = data.get("model_type") if isinstance(data, dict) else None
            raise UserError(
                f"backbone config has model_type {got!r}; a {model_type} checkpoint needs {want!r} "
                f"({'the Eagle-Block2A-2B-v2 folder' if model_type == N16 else 'nvidia/Cosmos-Reason2-2B'})",
                where=str(path),
                field="model_type",
            )
        for k in ("vision_config", "text_config"):
            if not isinstance(data.get(k), dict):
                raise UserError("missing or not an object", where=str(path), field=k)
        return data, str(path)
    return copy.deepcopy(published), f"built-in {model_type} backbone config"
