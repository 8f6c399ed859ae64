"""The N1 / N1.5 processor: observations in, model inputs out, and normalised action chunks
back to `action.<key>`.

What the original GR00T pipeline does, reproduced step by step:

- Images: cropped, resized and normalised as images.py says. All images of one sample are
  ordered time-major, cameras in card order.
- Text: one user turn holding the images then the instruction, rendered with the processor's
  chat template and the generation prompt, each image placeholder expanded to
  `<image i><img>` + `<IMG_CONTEXT>` x tokens-per-image + `</img>` (N1.5: 256 tokens; N1: the
  Eagle 2 `qwen2-chat` prompt with 64). The tokenizer pads on the left.
- The instruction quirk: N1.5 was trained on the instruction as a one-element array, so its
  text was `['pick up the apple']`; `instruction_format: list` (the N1.5 default) reproduces it.
- State and action keys are normalised per key from the embodiment's statistics
  (`min_max`, `q99`, `mean_std`, `binary`), concatenated in card order and zero-padded to
  max_state_dim / max_action_dim; the embodiment tag selects the category id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ....errors import UserError
from ..common.keys import KeySpec
from ..common.text import IMG_CONTEXT, IMG_END, IMG_START, SYSTEM_MESSAGE, expand_eagle_images, formalize
from .eagle_config import EagleConfig
from .images import preprocess_images
from .metadata import EmbodimentMeta, KeyMeta
from .model import ModelInputs

NORM_MODES = ("min_max", "q99", "mean_std", "binary")

# Category ids of the action head's per-embodiment weights (the original's tag mapping).
EMBODIMENT_IDS = {
    "gr00t_n1_5": {
        "new_embodiment": 31,
        "gr1": 24,
        "agibot_genie1": 26,
        "oxe_droid": 17,
        # as used by the LeRobot port of N1.5
        "so100": 2,
        "unitree_g1": 3,
    },
    "gr00t_n1": {"new_embodiment": 31, "gr1": 24},
}


# ---------------------------------------------------------------------------------------
# Normalisation.


def _stats(meta: KeyMeta, mode: str, names: tuple[str, str], key: str) -> tuple[np.ndarray, np.ndarray]:
    missing = [n for n in names if n not in meta.stats]
    if missing:
        raise UserError(f"normalisation {mode!r} of {key!r} needs statistics {missing} the metadata lacks")
    return meta.stats[names[0]], meta.stats[names[1]]


def normalize(x: np.ndarray, meta: KeyMeta, mode: str, key: str = "") -> np.ndarray:
    """To the model's range. Dims whose statistics give no spread: min_max -> 0; q99 and
    mean_std pass the value through (then q99 clips to [-1, 1])."""
    x = np.asarray(x, dtype=np.float64)
    if mode == "binary":
        return (x > 0.5).astype(np.float64)
    if mode == "mean_std":
        mean, std = _stats(meta, mode, ("mean", "std"), key)
        ok = std != 0
        return np.where(ok, (x - mean) / np.where(ok, std, 1.0), x)
    lo, hi = _stats(meta, mode, ("min", "max") if mode == "min_max" else ("q01", "q99"), key)
    ok = hi != lo
    y = np.where(ok, 2 * (x - lo) / np.where(ok, hi - lo, 1.0) - 1, 0.0 if mode == "min_max" else x)
    return np.clip(y, -1, 1) if mode == "q99" else y


def unnormalize(y: np.ndarray, meta: KeyMeta, mode: str, key: str = "") -> np.ndarray:
    y = np.asarray(y, dtype=np.float64)
    if mode == "binary":
        return (y > 0.5).astype(np.float64)
    if mode == "mean_std":
        mean, std = _stats(meta, mode, ("mean", "std"), key)
        return y * std + mean
    lo, hi = _stats(meta, mode, ("min", "max") if mode == "min_max" else ("q01", "q99"), key)
    return (y + 1) / 2 * (hi - lo) + lo


# ---------------------------------------------------------------------------------------
# Text.


def format_instruction(text: str, fmt: str, formalize_language: bool) -> str:
    if formalize_language:  # the original's formalize_language: lowercase, no punctuation
        text = formalize(text)
    return str([text]) if fmt == "list" else text


def _fallback_chat(n_images: int, text: str) -> str:
    """Eagle 2.5's own rendering of one user turn, for processor dirs without a template."""
    return (
        f"<|im_start|>system\n{SYSTEM_MESSAGE}\n<|im_end|>\n<|im_start|>user\n"
        + "".join(f"<image-{i + 1}>" for i in range(n_images))
        + text
        + "<|im_end|>\n<|im_start|>assistant\n"
    )


@dataclasses.dataclass
class PromptBuilder:
    n15: bool
    tokens_per_image: int
    chat_template: str | None

    def render(self, tokenizer: Any, n_images: int, text: str) -> str:
        if self.n15:
            if self.chat_template is not None:
                content = [{"type": "image"} for _ in range(n_images)] + [{"type": "text", "text": text}]
                s = tokenizer.apply_chat_template(
                    [{"role": "user", "content": content}],
                    chat_template=self.chat_template,
                    tokenize=False,
                    add_generation_prompt=True,
                )
            else:
                s = _fallback_chat(n_images, text)
            return expand_eagle_images(s, self.tokens_per_image)
        # N1: Eagle 2's qwen2-chat conversation template.
        if n_images == 1:
            prefix = "<image>\n"
        else:
            prefix = "".join(f"<image {i + 1}><image>\n" for i in range(n_images))
        s = (
            f"<|im_start|>system\n{SYSTEM_MESSAGE}<|im_end|>\n<|im_start|>user\n{prefix}{text}<|im_end|>\n"
            "<|im_start|>assistant\n"
        )
        body = IMG_START + IMG_CONTEXT * self.tokens_per_image + IMG_END
        for _ in range(n_images):
            s = s.replace("<image>", body, 1)
        return s


# ---------------------------------------------------------------------------------------
# The processor.


class Gr00tProcessor:
    def __init__(
        self,
        *,
        n15: bool,
        eagle: EagleConfig,
        tokenizer: Any,
        chat_template: str | None,
        meta: EmbodimentMeta,
        embodiment_id: int,
        video: list[KeySpec],
        state: list[KeySpec],
        action: list[KeySpec],
        max_state_dim: int,
        action_dim: int,
        image_mean: Sequence[float],
        image_std: Sequence[float],
        crop_scale: float = 0.95,
        instruction_format: str = "list",
        formalize_language: bool = False,
        state_horizon: int = 1,
    ):
        self.n15 = n15
        self.eagle = eagle
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = "left"
        self.prompt = PromptBuilder(n15, eagle.tokens_per_image, chat_template)
        self.meta = meta
        self.embodiment_id = embodiment_id
        self.video, self.state, self.action = video, state, action
        self.max_state_dim, self.action_dim = max_state_dim, action_dim
        self.image_mean, self.image_std = list(image_mean), list(image_std)
        self.crop_scale = crop_scale
        self.frames_prepped = False  # training sets it: frames come through `crop_resize` once
        self.instruction_format = instruction_format
        self.formalize_language = formalize_language
        self.state_horizon = state_horizon
        self.image_token_id = self._image_token_id()

    def _image_token_id(self) -> int:
        tid = self.tokenizer.convert_tokens_to_ids(IMG_CONTEXT)
        unk = getattr(self.tokenizer, "unk_token_id", None)
        if not isinstance(tid, int) or tid < 0 or (unk is not None and tid == unk):
            raise UserError(f"the tokenizer has no {IMG_CONTEXT} token (is this the Eagle processor directory?)")
        if self.eagle.image_token_index is not None and tid != self.eagle.image_token_index:
            raise UserError(
                f"the tokenizer's {IMG_CONTEXT} id is {tid} but the Eagle config says image_token_index "
                f"{self.eagle.image_token_index}",
                where=self.eagle.source,
            )
        vocab = self.eagle.text.get("vocab_size")
        if vocab is not None and len(self.tokenizer) > vocab:
            raise UserError(
                f"the tokenizer has {len(self.tokenizer)} tokens, more than the model's vocab_size {vocab}",
                where=self.eagle.source,
            )
        return tid

    # -- checks of one observation batch

    def _batch_size(self, obs: dict[str, Any], annotation_key: str) -> int:
        arrays = [obs[k.suite_key] for k in self.video + self.state if k.suite_key in obs]
        sizes = {np.shape(a)[0] for a in arrays if np.ndim(a) >= 1}
        text = obs.get(annotation_key)
        if text is not None:
            sizes.add(len(text))
        if len(sizes) != 1:
            raise UserError(f"observation batch sizes disagree: {sorted(sizes)}")
        return sizes.pop()

    def check_obs(self, obs: dict[str, Any], annotation_key: str) -> int:
        for k in self.video:
            if k.suite_key not in obs:
                raise UserError(f"observation lacks {k.suite_key} (checkpoint video key {k.meta_key!r})")
            v = obs[k.suite_key]
            vm = self.meta.video[k.meta_key]
            if not isinstance(v, np.ndarray) or v.dtype != np.uint8:
                raise UserError(
                    f"{k.suite_key} must be a uint8 array [B, T, H, W, 3], got "
                    f"{type(v).__name__} of {getattr(v, 'dtype', '?')}"
                )
            if v.ndim != 5 or v.shape[-1] != 3 or v.shape[1] < 1 or min(v.shape[2:4]) < 1:
                # any frame size: cropped and resized to the tower's size like the dataset's frames
                raise UserError(
                    f"{k.suite_key} has shape {v.shape}; the checkpoint's {k.meta_key!r} needs [B, T, H, W, 3] "
                    f"(trained at {vm.height}x{vm.width})"
                )
        for k in self.state:
            if k.suite_key not in obs:
                raise UserError(f"observation lacks {k.suite_key} (checkpoint state key {k.meta_key!r})")
            s = np.asarray(obs[k.suite_key])
            width_ok = s.ndim == 3 and (s.shape[2] == k.dim if k.index is None else s.shape[2] > max(k.index))
            if s.ndim != 3 or s.shape[1] != self.state_horizon or not width_ok:
                raise UserError(
                    f"{k.suite_key} has shape {s.shape}; the checkpoint's {k.meta_key!r} needs "
                    f"[B, {self.state_horizon}, {k.dim if k.index is None else f'> {max(k.index)}'}]"
                )
            if not np.issubdtype(s.dtype, np.number):
                raise UserError(f"{k.suite_key} must be numeric, got {s.dtype}")
        text = obs.get(annotation_key)
        if not isinstance(text, (list, tuple)) or not all(isinstance(t, str) for t in text):
            raise UserError(f"{annotation_key} must be a list of strings, one per row")
        return self._batch_size(obs, annotation_key)

    # -- model inputs

    def images(self, obs: dict[str, Any], b: int) -> tuple[torch.Tensor | None, int]:
        """Pixel values of all rows (row-major, then time-major, then camera) and images per row."""
        if not self.video:
            return None, 0
        t = obs[self.video[0].suite_key].shape[1]
        if any(obs[k.suite_key].shape[1] != t for k in self.video):
            raise UserError("all video keys must have the same number of frames")
        # Each camera at its own size -> [B*T, 3, S, S]; then rows of images in (b, t, v) order.
        per_cam = [
            preprocess_images(
                obs[k.suite_key].reshape(-1, *obs[k.suite_key].shape[2:]),
                self.eagle.image_size,
                self.crop_scale,
                self.image_mean,
                self.image_std,
                self.frames_prepped,
            )
            for k in self.video
        ]
        px = torch.stack(per_cam, dim=1).reshape(-1, *per_cam[0].shape[1:])
        return px, t * len(self.video)

    def text(self, instructions: Sequence[str], n_images: int) -> tuple[torch.Tensor, torch.Tensor]:
        prompts = [
            self.prompt.render(
                self.tokenizer, n_images, format_instruction(s, self.instruction_format, self.formalize_language)
            )
            for s in instructions
        ]
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True)
        return enc["input_ids"], enc["attention_mask"]

    def pack_state(self, obs: dict[str, Any], b: int) -> torch.Tensor:
        out = np.zeros((b, self.state_horizon, self.max_state_dim), np.float32)
        col = 0
        for k in self.state:
            raw = k.from_suite(np.asarray(obs[k.suite_key], np.float64))
            x = normalize(raw, self.meta.state[k.meta_key], k.mode, k.suite_key)
            out[..., col : col + k.dim] = x
            col += k.dim
        return torch.from_numpy(out)

    def inputs(self, obs: dict[str, Any], annotation_key: str) -> ModelInputs:
        b = self.check_obs(obs, annotation_key)
        px, n_img = self.images(obs, b)
        ids, mask = self.text(list(obs[annotation_key]), n_img)
        return ModelInputs(
            ids, mask, px, self.pack_state(obs, b), torch.full((b,), self.embodiment_id, dtype=torch.long)
        )

    # -- actions

    def unpack_actions(self, pred: np.ndarray) -> dict[str, np.ndarray]:
        """[B, H, action_dim] normalised -> {suite action key: float32 [B, H, D]} in world units."""
        out, col = {}, 0
        for k in self.action:
            y = unnormalize(pred[..., col : col + k.dim], self.meta.action[k.meta_key], k.mode, k.suite_key)
            out[k.suite_key] = k.to_suite(y.astype(np.float32))
            col += k.dim
        return out

    def pack_actions(self, actions: dict[str, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """For training: normalised, padded actions [B, H, action_dim] and the mask of real dims."""
        first = np.asarray(actions[self.action[0].suite_key])
        b, h = first.shape[:2]
        out = np.zeros((b, h, self.action_dim), np.float32)
        mask = np.zeros((b, h, self.action_dim), bool)
        col = 0
        for k in self.action:
            out[..., col : col + k.dim] = normalize(
                k.from_suite(np.asarray(actions[k.suite_key])), self.meta.action[k.meta_key], k.mode, k.suite_key
            )
            mask[..., col : col + k.dim] = True
            col += k.dim
        return torch.from_numpy(out), torch.from_numpy(mask)
