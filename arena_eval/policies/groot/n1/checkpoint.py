"""An N1 or N1.5 checkpoint directory: `config.json`, `experiment_cfg/metadata.json` and the
weights (common/checkpoint.py), and the optional tensors of its layouts."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ..common import checkpoint as common
from ..common.checkpoint import CONFIG, INDEX, LoadReport, weight_files

METADATA = "experiment_cfg/metadata.json"

# Optional tensors (key or key prefix -> what it is) of the N1.5 and N1 layouts: present in
# real checkpoints, never needed for actions.
OPTIONAL = {
    "backbone.eagle_model.language_model.lm_head.": "the language-model head (N1.5)",
    "backbone.eagle_model.vision_model.vision_model.head.": "SigLIP's attention-pooling head (N1.5)",
    "backbone.model.language_model.lm_head.": "the language-model head (N1)",
    "backbone.model.vision_model.vision_model.head.": "SigLIP's attention-pooling head (N1)",
}


def load_weights(model: nn.Module, ckpt: Path, optional: dict[str, str] = OPTIONAL) -> LoadReport:
    """common/checkpoint.py's strict load, with the N1/N1.5 optional tensors."""
    return common.load_weights(model, ckpt, optional)


def checkpoint_files(ckpt: Path) -> list[Path]:
    """Every file whose content defines the checkpoint (for the run manifest's hash)."""
    files = [ckpt / CONFIG, ckpt / METADATA]
    if (ckpt / INDEX).is_file():
        files.append(ckpt / INDEX)
    files += sorted(weight_files(ckpt))
    return files
