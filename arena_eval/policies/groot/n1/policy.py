"""The GR00T N1.5 / N1 policy adapter (card `type: gr00t` with an N1 or N1.5 checkpoint).

Card (policies/<name>.yaml)::

    name: gr00t-n1.5-arena-g1
    type: gr00t
    action_horizon: 16            # must equal the checkpoint's action_horizon
    n_action_steps: 16            # executed per chunk
    seed: 0                       # seeds the initial noise (see "Noise" below)
    device: cuda                  # cpu | cuda | cuda:N
    checkpoint: /models/gr00t-g1  # relative paths are relative to the card's directory
    params:
      processor_dir: /models/eagle2_hg_model  # tokenizer, chat template, Eagle config (required)
      embodiment_tag: new_embodiment          # a key of experiment_cfg/metadata.json (required)
      denoising_steps: 10         # default: the checkpoint's num_inference_timesteps
      dtype: auto                 # auto (bfloat16 on CUDA, float32 on CPU) | float32 | bfloat16
      video: {video.ego_view: ego_view}       # suite key -> metadata key; order = image order
      state: {state.left_arm: left_arm, ...}  # order = concatenation order of the state vector
      action: {action.left_arm: left_arm, ...}
      state_normalization: min_max            # or {suite key: mode}; modes min_max|q99|mean_std|binary
      action_normalization: min_max
      annotation_key: annotation.human.task_description
      instruction_format: list    # list (N1.5's training quirk: "['text']") | plain (N1 default)
      formalize_language: false   # lowercase and strip punctuation first
      crop_scale: 0.95            # centre crop before resizing
      noise: per_episode          # per_episode | per_call
      embodiment_id: null         # override the tag's category id
      state_horizon: 1            # state frames per call
      cpu_threads: null           # torch threads for this process (null: torch's default); on a
                                  # busy CPU, 1 is often much faster than oversubscribed threads
      batch_invariant: true       # one forward per row (see "Batching" below); false: one batched forward

Lists are accepted for video/state/action when suite and metadata names agree
(`[state.left_arm]` means `{state.left_arm: left_arm}`).

Noise. `predict(obs, generator=g)` draws the initial noise as one
`torch.randn(B, 16, action_dim, generator=g)` before anything else, so outputs can be compared
with other implementations given the same generator state. The runner calls `get_action`, which
seeds that draw deterministically so a run is reproducible: with `noise: per_episode` (default)
row i's noise is `randn(1, 16, action_dim)` from a generator seeded by (card seed, episode seed,
index of this call within the episode), so an episode's actions do not depend on which slot
runs it or what else is in the batch (runs with 1 and N envs draw the same noise); with
`noise: per_call` one generator seeded by (card seed, every row's episode seed and call index)
draws one randn(B, ...) for the batch. Noise is drawn in float32 on the CPU, then moved.

Batching. `get_action` runs each row of a call alone (`batch_invariant: true`, the default), so
a row's actions are bitwise those of a batch of one: in a batched forward, rows with
instructions of different lengths are left-padded and N1's DiT and N1.5's DiT and vl
self-attention attend to the pads, and even rows sharing an instruction round differently in
the last bits with the batch size (common/adapter.py says why that matters and what it costs).
`batch_invariant: false` batches the rows in one forward (faster; recorded in the run identity).
`predict` is always one batched forward.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ....cards import ANNOTATION_KEY, PolicySpec
from ..common.adapter import CARD_PARAMS, Gr00tAdapter
from ..common.keys import KeySpec
from ..common.tokenizer import load_chat_template, load_tokenizer
from .checkpoint import METADATA, OPTIONAL, checkpoint_files
from .config import Gr00tConfig, load_config
from .eagle_config import EagleConfig, load_eagle_config
from .images import image_normalisation
from .metadata import EmbodimentMeta, load_metadata
from .model import Gr00tModel, ModelInputs, build_empty
from .processor import EMBODIMENT_IDS, NORM_MODES, Gr00tProcessor

PARAMS = (
    *CARD_PARAMS,
    "state_normalization",
    "action_normalization",
    "annotation_key",
    "instruction_format",
    "formalize_language",
    "crop_scale",
    "noise",
    "embodiment_id",
    "state_horizon",
    "cpu_threads",
    "batch_invariant",
)


class Gr00tN1Policy(Gr00tAdapter):
    def __init__(self, spec: PolicySpec):
        super().__init__(spec)
        p = dict(spec.params)
        self._check_params(p, PARAMS)
        if not spec.checkpoint:
            self._err("a GR00T card needs the checkpoint directory", "checkpoint")
        self.ckpt = self._path(spec.checkpoint)
        if not self.ckpt.is_dir():
            self._err(f"checkpoint directory {self.ckpt} not found", "checkpoint")
        self._require(p, "processor_dir", "embodiment_tag")
        self.processor_dir = self._path(str(p["processor_dir"]))
        if not self.processor_dir.is_dir():
            self._err(
                f"processor directory {self.processor_dir} not found (see the README: the tokenizer and processor "
                "files come separately from the checkpoint)",
                "params.processor_dir",
            )
        self.cfg: Gr00tConfig = load_config(self.ckpt)
        head = self.cfg.action_head_cfg
        if spec.action_horizon != head.action_horizon:
            self._err(
                f"is {spec.action_horizon} but the checkpoint's action_horizon is {head.action_horizon}",
                "action_horizon",
            )
        self.tag = str(p["embodiment_tag"])
        metas = load_metadata(self.ckpt / METADATA)
        if self.tag not in metas:
            self._err(
                f"unknown embodiment tag {self.tag!r}: {self.ckpt / METADATA} has {', '.join(sorted(metas))}",
                "params.embodiment_tag",
            )
        self.meta: EmbodimentMeta = metas[self.tag]
        self.embodiment_id = self._embodiment_id(p.get("embodiment_id"))
        self._read_run_params(p, head.num_inference_timesteps or 4)

        self.video = self._keys(p, "video", self.meta.video, None)
        self.state = self._keys(p, "state", self.meta.state, p.get("state_normalization", "min_max"))
        self.action = self._keys(p, "action", self.meta.action, p.get("action_normalization", "min_max"))
        if not self.action:
            self._err("expected at least one action key", "params.action")
        if sum(k.dim for k in self.state) > head.max_state_dim:
            self._err(
                f"state keys total {sum(k.dim for k in self.state)} dims, over the model's max_state_dim "
                f"{head.max_state_dim}",
                "params.state",
            )
        if sum(k.dim for k in self.action) > head.action_dim:
            self._err(
                f"action keys total {sum(k.dim for k in self.action)} dims, over the model's action_dim "
                f"{head.action_dim}",
                "params.action",
            )

        self.eagle: EagleConfig = load_eagle_config(self.processor_dir, self.cfg.model_type)
        proc_cfg = self.cfg.backbone_cfg.extra.get("processor_cfg") or {}
        spec_tokens = (proc_cfg.get("model_spec") or {}).get("num_image_token")
        if spec_tokens is not None and spec_tokens != self.eagle.tokens_per_image:
            self._err(
                f"the checkpoint expects {spec_tokens} tokens per image, the Eagle config in the processor "
                f"directory gives {self.eagle.tokens_per_image}",
                "params.processor_dir",
            )
        tokenizer = load_tokenizer(self.processor_dir)
        mean, std = image_normalisation(self.processor_dir)
        self.processor = Gr00tProcessor(
            n15=self.cfg.is_n15,
            eagle=self.eagle,
            tokenizer=tokenizer,
            chat_template=load_chat_template(self.processor_dir, tokenizer),
            meta=self.meta,
            embodiment_id=self.embodiment_id,
            video=self.video,
            state=self.state,
            action=self.action,
            max_state_dim=head.max_state_dim,
            action_dim=head.action_dim,
            image_mean=mean,
            image_std=std,
            crop_scale=self._float(p, "crop_scale", 0.95),
            instruction_format=self._choice(
                p, "instruction_format", ("list", "plain"), "list" if self.cfg.is_n15 else "plain"
            ),
            formalize_language=bool(p.get("formalize_language", False)),
            state_horizon=self._int(p, "state_horizon", 1),
        )
        self._set_threads(p)
        self.model: Gr00tModel = build_empty(self.cfg, self.eagle, self.device, self.dtype)
        self._load_weights(OPTIONAL)

    # -- card helpers (each error names the card and field)

    def _embodiment_id(self, override: Any) -> int:
        if override is not None:
            if (
                isinstance(override, bool)
                or not isinstance(override, int)
                or not 0 <= override < self.cfg.action_head_cfg.max_num_embodiments
            ):
                self._err(
                    f"expected an integer in [0, {self.cfg.action_head_cfg.max_num_embodiments}), got {override!r}",
                    "params.embodiment_id",
                )
            return override
        table = EMBODIMENT_IDS[self.cfg.model_type]
        if self.tag not in table:
            self._err(
                f"embodiment tag {self.tag!r} has no known category id for {self.cfg.model_type} "
                f"(known: {', '.join(sorted(table))}); set params.embodiment_id",
                "params.embodiment_tag",
            )
        return table[self.tag]

    def _keys(self, p: dict, modality: str, known: dict[str, Any], norm: Any) -> list[KeySpec]:
        raw = self._key_map(p.get(modality) or {}, modality, "metadata")
        field = f"params.{modality}"
        if norm is not None and not isinstance(norm, (str, dict)):
            self._err("expected a mode or a mapping of suite keys to modes", f"params.{modality}_normalization")
        out = []
        for suite_key, meta_key, index, fill in self._key_maps(raw, modality):
            if index is not None and modality == "video":
                self._err(f"{suite_key}: a camera takes no index", field)
            if not isinstance(meta_key, str) or meta_key not in known:
                self._err(
                    f"{modality} key {meta_key!r} (for {suite_key}) is not in the checkpoint metadata for embodiment "
                    f"{self.tag!r} (known: {', '.join(sorted(known)) or 'none'})",
                    field,
                )
            mode = "min_max"
            if norm is not None:
                mode = norm if isinstance(norm, str) else norm.get(suite_key, "min_max")
                if mode not in NORM_MODES:
                    self._err(
                        f"normalisation {mode!r} of {suite_key} is not one of {NORM_MODES}",
                        f"params.{modality}_normalization",
                    )
            dim = 3 if modality == "video" else known[meta_key].dim
            if index is not None and len(index) != dim:
                self._err(f"{suite_key}: index has {len(index)} entries for the checkpoint's {dim} dims", field)
            out.append(KeySpec(suite_key, meta_key, dim, mode, index, fill))
        return out

    # -- the Policy interface

    def inputs(self, obs: dict[str, Any]) -> ModelInputs:
        if self.annotation_key not in obs and ANNOTATION_KEY in obs:
            obs = {**obs, self.annotation_key: obs[ANNOTATION_KEY]}
        return self.processor.inputs(obs, self.annotation_key)

    def predict(
        self, obs: dict[str, Any], *, noise: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> dict[str, np.ndarray]:
        """The GR00T policy API, batched: `action.<key>` float32 [B, 16, D] in world units."""
        x = self.inputs(obs)
        pred = self.model.get_action(x, self.processor.image_token_id, self.steps, noise=noise, generator=generator)
        return self.processor.unpack_actions(pred.numpy())

    def _prepare(self, obs: dict[str, Any]) -> ModelInputs:
        return self.inputs(obs)

    def _run(self, x: ModelInputs, noise: torch.Tensor) -> dict[str, np.ndarray]:
        pred = self.model.get_action(x, self.processor.image_token_id, self.steps, noise=noise)
        return self.processor.unpack_actions(pred.numpy())

    def checkpoint_files(self) -> list[str]:
        files = checkpoint_files(self.ckpt)
        files += sorted(p for p in self.processor_dir.rglob("*") if p.is_file())
        return [str(f) for f in files]
