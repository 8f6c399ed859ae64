"""The GR00T N1.6 / N1.7 policy adapter (card `type: gr00t`; chosen by the checkpoint's
`config.json` model_type, Gr00tN1d6 or Gr00tN1d7).

Card::

    type: gr00t
    action_horizon: 16            # the embodiment's valid chunk (len of its action delta_indices)
    n_action_steps: 8
    checkpoint: ~/models/GR00T-N1.7-3B         # config.json, weights, processor_config.json,
                                               # statistics.json, embodiment_id.json
    params:
      processor_dir: ~/models/Cosmos-Reason2-2B  # N1.6: the Eagle-Block2A-2B-v2 folder
      embodiment_tag: new_embodiment
      denoising_steps: 4          # default: num_inference_timesteps
      video: {video.ego_view: ego_view}    # suite key -> the checkpoint's modality key
      state: {state.left_arm: left_arm}    # every state key of the modality config
      action: {action.left_arm: left_arm}  # action keys taken from the chunk
      annotation_key, noise, embodiment_id, dtype, cpu_threads, batch_invariant: as for N1.5 (n1/policy.py)

Frames of any size are accepted: the processor resizes them as the checkpoint's own does.
Normalisation, relative actions and horizons come from the checkpoint's processor files.
Noise is drawn as for N1.5 (per episode and call, float32 on the CPU), with the shape
[B, action_horizon of the model (40 for N1.7), max_action_dim].

Batching: `get_action` runs each row alone by default (`batch_invariant: true`), as for N1.5
(common/adapter.py): N1.7's vl self-attention is unmasked, so in a batched forward a left-padded
row's actions change with the longest instruction beside it; N1.6 masks pads in its DiT, but
its rows still round differently in the last bits with the batch size. `predict` is batched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ....cards import ANNOTATION_KEY, PolicySpec
from ....errors import UserError
from ..common.adapter import CARD_PARAMS, Gr00tAdapter
from ..common.checkpoint import INDEX, weight_files
from ..common.jsonfile import read_json_object
from ..common.keys import KeySpec
from ..common.text import IMG_CONTEXT, expand_eagle_images, formalize
from ..common.tokenizer import load_chat_template, load_tokenizer
from .backbone_config import load_backbone_config
from .config import N1xConfig, load_config
from .images import eagle3_pixels, eval_transform
from .model import Gr00tN1xModel, N1xInputs, build_empty, optional_tensors
from .processor import (
    EMBODIMENT_ID,
    PROCESSOR_CONFIG,
    QWEN_IMAGE_KEYS,
    STATISTICS,
    expand_qwen_images,
    load_embodiment,
    load_embodiment_ids,
)
from .state_action import compose_eef, normalize_state, unnormalize_action

PARAMS = (
    *CARD_PARAMS,
    "annotation_key",
    "noise",
    "embodiment_id",
    "cpu_threads",
    "batch_invariant",
)


class Gr00tN1xPolicy(Gr00tAdapter):
    def __init__(self, spec: PolicySpec):  # noqa: C901 (one linear pass over the card)
        super().__init__(spec)
        p = dict(spec.params)
        self._check_params(p, PARAMS, " for an N1.6/N1.7 card")
        self.ckpt = self._path(spec.checkpoint or "")
        self._require(p, "processor_dir", "embodiment_tag")
        self.processor_dir = self._path(str(p["processor_dir"]))
        if not self.processor_dir.is_dir():
            self._err(f"processor directory {self.processor_dir} not found", "params.processor_dir")
        self.cfg: N1xConfig = load_config(self.ckpt)
        self.tag = str(p["embodiment_tag"])
        self.emb, self.kw = load_embodiment(self.ckpt, self.tag)
        if spec.action_horizon != self.emb.horizon:
            self._err(
                f"is {spec.action_horizon} but embodiment {self.tag!r} has {self.emb.horizon} valid action steps "
                f"(of the model's {self.cfg.action_horizon})",
                "action_horizon",
            )
        ids = load_embodiment_ids(self.ckpt, self.cfg.is_n17)
        eid = p.get("embodiment_id", ids.get(self.tag))
        if isinstance(eid, bool) or not isinstance(eid, int) or not 0 <= eid < self.cfg.max_num_embodiments:
            self._err(f"no projector index for {self.tag!r}; set params.embodiment_id", "params.embodiment_id")
        self.embodiment_id = eid
        self._read_run_params(p, self.cfg.num_inference_timesteps)
        self.formalize = bool(self.kw.get("formalize_language", self.cfg.raw.get("formalize_language", True)))
        self.edge = int(self.kw.get("shortest_image_edge") or self.cfg.raw.get("shortest_image_edge") or 256)
        self.crop = float(self.kw.get("crop_fraction") or self.cfg.raw.get("crop_fraction") or 0.95)

        self.video = self._map(p, "video", {k: 3 for k in self.emb.video_keys}, every=True)
        self.state = self._map(p, "state", self.emb.state_keys, every=True)
        self._state_keys = {k.name: k for k in self.emb.states}
        self.action = self._map(p, "action", {a.name: a.dim for a in self.emb.actions}, every=False)
        if sum(k.packed for k in self.emb.states) > self.cfg.max_state_dim:
            self._err(f"state keys exceed max_state_dim {self.cfg.max_state_dim}", "params.state")

        bb, bb_where = load_backbone_config(self.processor_dir, self.cfg.model_type)
        self.tokenizer = load_tokenizer(self.processor_dir)
        self.tokenizer.padding_side = "left"
        self.chat_template = load_chat_template(self.processor_dir, self.tokenizer)
        if self.chat_template is None:
            self._err(f"{self.processor_dir} has no chat template", "params.processor_dir")
        self.image_processor = None
        if self.cfg.is_n17:
            from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

            pre = self.processor_dir / "preprocessor_config.json"
            kw = {k: v for k, v in read_json_object(pre).items() if k in QWEN_IMAGE_KEYS} if pre.is_file() else {}
            self.image_processor = Qwen2VLImageProcessorPil(**({"patch_size": 16} | kw))
        self._set_threads(p)
        self.model: Gr00tN1xModel = build_empty(self.cfg, bb, self.device, self.dtype, bb_where)
        tid = self.tokenizer.convert_tokens_to_ids(IMG_CONTEXT if not self.cfg.is_n17 else "<|image_pad|>")
        if tid != self.model.backbone.image_token_id:
            self._err(
                f"the tokenizer's image token id {tid} differs from the backbone config's "
                f"{self.model.backbone.image_token_id} ({bb_where})",
                "params.processor_dir",
            )
        self._load_weights(optional_tensors(self.cfg.model_type))

    def _map(self, p: dict, modality: str, known: dict[str, int], every: bool) -> list[KeySpec]:
        raw = p.get(modality)
        field = f"params.{modality}"
        if raw is None:
            raw = {f"{modality}.{k}": k for k in known}
        raw = self._key_map(raw, modality, "modality")
        out = []
        for sk, mk, index, fill in self._key_maps(raw, modality):
            if index is not None and (modality == "video" or len(index) != known.get(mk, -1)):
                self._err(f"{sk}: index must list one suite dim per checkpoint dim ({known.get(mk)})", field)
            if not isinstance(mk, str) or mk not in known:
                self._err(f"{mk!r} is not a {modality} key of embodiment {self.tag!r} ({', '.join(known)})", field)
            out.append(KeySpec(sk, mk, known[mk], index=index, fill=fill))
        if every:
            missing = sorted(set(known) - {k.meta_key for k in out})
            if missing:
                self._err(f"the checkpoint needs {modality} key(s) {', '.join(missing)}; map them", field)
            order = list(known)  # the model's concatenation order, whatever the card's
            out.sort(key=lambda k: order.index(k.meta_key))
        return out

    # -- the Policy interface

    def bind(self, task: Any, obs_space: Any, act_space: Any) -> None:
        if self.video and self.emb.video_frames > 1:  # before the first episode, not at its first call
            self._err(
                f"embodiment {self.tag!r} reads {self.emb.video_frames} video frames per call (its video "
                "delta_indices); the runner gives one",
                "params.embodiment_tag",
            )
        super().bind(task, obs_space, act_space)
        if not self.cfg.is_n17:  # Eagle refuses some frame shapes: say so before the first episode
            for k in self.video:
                h, w = obs_space.spaces[k.suite_key].shape[:2]
                try:
                    eagle3_pixels(eval_transform(np.zeros((h, w, 3), np.uint8), self.edge, self.crop))
                except UserError as e:
                    self._err(f"{k.suite_key}: {e}", "params.video")

    def _frames(self, obs: dict[str, Any], b: int) -> list[np.ndarray]:
        """Every image of the batch in prompt order: row, then time, then camera."""
        t = self.emb.video_frames
        for k in self.video:
            v = obs.get(k.suite_key)
            if not isinstance(v, np.ndarray) or v.dtype != np.uint8 or v.ndim != 5 or v.shape[-1] != 3:
                raise UserError(f"{k.suite_key} must be a uint8 array [B, T, H, W, 3]")
            if v.shape[0] != b or v.shape[1] < t:
                raise UserError(f"{k.suite_key} has shape {v.shape}; need [{b}, >= {t}, H, W, 3]")
        return [
            eval_transform(obs[k.suite_key][i, -t + j], self.edge, self.crop)
            for i in range(b)
            for j in range(t)
            for k in self.video
        ]

    def inputs(self, obs: dict[str, Any]) -> tuple[N1xInputs, np.ndarray]:
        """Model inputs and each row's last raw state [B, sum of state dims] (for relative actions)."""
        text = obs.get(self.annotation_key, obs.get(ANNOTATION_KEY))
        if not isinstance(text, (list, tuple)) or not all(isinstance(s, str) for s in text):
            raise UserError(f"{self.annotation_key} must be a list of strings, one per row")
        b = len(text)
        raw: dict[str, np.ndarray] = {}
        state = np.zeros((b, 1, self.cfg.max_state_dim), np.float32)
        col = 0
        for k in self.state:
            s = np.asarray(obs.get(k.suite_key))
            narrow = s.ndim == 3 and (s.shape[2] != k.dim if k.index is None else s.shape[2] <= max(k.index))
            if s.ndim != 3 or s.shape[0] != b or narrow:
                raise UserError(f"{k.suite_key} has shape {s.shape}; need [{b}, T, {k.dim}] (or wider with an index)")
            raw[k.meta_key] = k.from_suite(s[:, -1].astype(np.float64))
            sk = self._state_keys[k.meta_key]
            x = normalize_state(raw[k.meta_key], self.emb.stats[sk.rule.stats][k.meta_key], k.meta_key, sk.rule)
            state[:, 0, col : col + sk.packed] = x
            col += sk.packed
        frames = self._frames(obs, b)
        per_row = len(frames) // b if b else 0
        prompts_text = [formalize(s) if self.formalize else s for s in text]
        grid = None
        if not self.cfg.is_n17:
            px = [eagle3_pixels(f) for f in frames]
            tokens = [p.shape[1] * p.shape[2] // 784 for p in px]
            pixel_values = _groups(px)
        elif frames:
            enc = self.image_processor(images=frames, return_tensors="np")
            grid = torch.from_numpy(np.asarray(enc["image_grid_thw"]))
            pixel_values = torch.from_numpy(np.asarray(enc["pixel_values"], np.float32))
            tokens = [int(g.prod()) // (self.image_processor.merge_size**2) for g in grid]
        else:
            pixel_values, tokens = None, []
        prompts = []
        for i, s in enumerate(prompts_text):
            imgs = [{"type": "image"} for _ in range(per_row)]
            txt = [{"type": "text", "text": s}]
            content = txt + imgs if not self.cfg.is_n17 else imgs + txt  # N1.6: text first
            r = self.tokenizer.apply_chat_template(
                [{"role": "user", "content": content}],
                chat_template=self.chat_template,
                tokenize=False,
                add_generation_prompt=False,
            )
            row = tokens[i * per_row : (i + 1) * per_row]
            prompts.append(expand_qwen_images(r, row) if self.cfg.is_n17 else expand_eagle_images(r, row))
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True)
        x = N1xInputs(
            enc["input_ids"],
            enc["attention_mask"],
            pixel_values,
            grid,
            torch.from_numpy(state),
            torch.full((b,), self.embodiment_id, dtype=torch.long),
        )
        return x, raw

    def decode(self, pred: np.ndarray, raw_state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Normalised [B, H_model, max_action_dim] -> {suite key: float32 [B, horizon, D]} in world units."""
        pred = pred[:, : self.emb.horizon].astype(np.float64)
        by_name, col = {}, 0
        for a in self.emb.actions:
            y = pred[..., col : col + a.dim]
            col += a.dim
            v = unnormalize_action(y, self.emb.stats[a.rule.stats][a.name], a.name, a.rule)
            if a.eef_format:
                v = compose_eef(raw_state[a.state_key], v, a.eef_format)
            elif a.relative:
                v = v + raw_state[a.state_key][:, None, :]
            by_name[a.name] = v.astype(np.float32)
        return {k.suite_key: k.to_suite(by_name[k.meta_key]) for k in self.action}

    def predict(
        self, obs: dict[str, Any], *, noise: torch.Tensor | None = None, generator: torch.Generator | None = None
    ) -> dict[str, np.ndarray]:
        x, raw = self.inputs(obs)
        pred = self.model.get_action(x, self.steps, noise=noise, generator=generator)
        return self.decode(pred.numpy(), raw)

    def _prepare(self, obs: dict[str, Any]) -> tuple[N1xInputs, dict[str, np.ndarray]]:
        return self.inputs(obs)

    def _run(self, prepared: tuple[N1xInputs, dict[str, np.ndarray]], noise: torch.Tensor) -> dict[str, np.ndarray]:
        x, raw = prepared
        return self.decode(self.model.get_action(x, self.steps, noise=noise).numpy(), raw)

    def checkpoint_files(self) -> list[str]:
        files = [self.ckpt / "config.json", self.ckpt / PROCESSOR_CONFIG, self.ckpt / STATISTICS]
        files += [self.ckpt / n for n in (EMBODIMENT_ID, INDEX) if (self.ckpt / n).is_file()]
        files += sorted(weight_files(self.ckpt))
        files += sorted(p for p in self.processor_dir.rglob("*") if p.is_file())
        return [str(f) for f in files]


def _groups(px: list[np.ndarray]) -> list[torch.Tensor]:
    """Consecutive images of one size stacked, so the vision tower batches them."""
    out: list[list[np.ndarray]] = []
    for p in px:
        if out and out[-1][0].shape == p.shape:
            out[-1].append(p)
        else:
            out.append([p])
    return [torch.from_numpy(np.stack(g)) for g in out]
