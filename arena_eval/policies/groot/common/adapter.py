"""What the GR00T adapters of every generation share: card helpers (one-line errors naming the
card and field), the device and dtype, `bind` (keys and shapes checked against the task before
the first episode, joint groups mapped through the card), the per-episode noise seeding, and
the batch-invariant policy call.

`n1/policy.py`'s `Gr00tN1Policy` (N1, N1.5) and `n1x/policy.py`'s `Gr00tN1xPolicy` (N1.6, N1.7)
build on it; each sets `where`, `ckpt`, `tag`, `video`, `state`, `action` (KeySpecs) and
`model` (`_read_run_params` sets the parameters every card shares: steps, noise, batching,
annotation key, device, dtype), and provides `_prepare` (a batch's model inputs, checked) and
`_run` (inputs and noise -> actions).

Batch invariance. An episode's outcome must depend on its seed alone (the harness's design),
so the actions a row gets must not depend on which other rows share its `get_action` call:
the runner batches every slot that needs a chunk, a resumed run or another `num_envs` pairs
episodes differently, and the policy server joins rows of different clients. A batched forward
breaks that twice: rows whose instructions tokenise to different lengths are left-padded, and
N1's DiT, N1.5's DiT and vl self-attention and N1.7's vl self-attention attend to the pads
(action differences of 0.02 to 0.2 for the shipped checkpoints); and with one instruction,
the products of another batch size round differently in the last bits (a few 1e-7 in the
actions, from the action head's small-M matmuls: the state token, the time embedding), which
contact dynamics can grow into another outcome (issue 28 saw an episode drop its box in a
resumed run and hold it in the unbroken one). Torch's deterministic settings do not remove the
second: they make a run repeat, not a row's result independent of the batch size. So
`get_action` computes each row alone (`batch_invariant: true`, the default): the row's inputs,
its model forward and its decoding are exactly those of a batch of one, bitwise, whatever else
was asked in the same call. This costs one forward per row (benchmarks/bench_batch_invariance.py;
the README gives the figures). `batch_invariant: false` in a card turns the single batched
forward back on for speed; the run identity records which (`identity`), so `--resume` never
mixes the two. `predict` (the GR00T API, for comparisons with other implementations) stays
one batched forward, as NVIDIA's is. `noise: per_call` draws one noise tensor for the whole
batch, so it is not batch invariant whatever this setting says.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import gymnasium as gym
import numpy as np
import torch

from .... import console
from ....cards import ANNOTATION_KEY, PolicySpec, TaskSpec
from ....errors import UserError
from ...base import Policy
from .checkpoint import load_weights
from .keys import KeySpec, parse_key_map

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
# The card parameters every generation's card takes, first in its list (n1/policy.py, n1x/policy.py).
CARD_PARAMS = ("processor_dir", "embodiment_tag", "denoising_steps", "dtype", "video", "state", "action")


def card_path(spec: PolicySpec, value: str) -> Path:
    """A path from a card: `~` expanded, relative paths relative to the card's directory."""
    p = Path(value).expanduser()
    if not p.is_absolute() and spec.source:
        p = Path(spec.source).resolve().parent / p
    return p


@dataclasses.dataclass
class _Slot:
    episode_seed: int
    calls: int = 0


class Gr00tAdapter(Policy):
    where: str | None
    ckpt: Path
    tag: str
    video: list[KeySpec]
    state: list[KeySpec]
    action: list[KeySpec]
    model: Any

    def __init__(self, spec: PolicySpec):
        super().__init__(spec)
        self.where = spec.source or None
        self._slots: dict[int, _Slot] = {}

    # -- card helpers (each error names the card and field)

    def _err(self, msg: str, field: str) -> NoReturn:
        raise UserError(msg, where=self.where, field=field)

    def _path(self, value: str) -> Path:
        return card_path(self.spec, value)

    def _int(self, p: dict, name: str, default: int) -> int:
        v = p.get(name, default)
        if v is None:
            v = default
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            self._err(f"expected an integer >= 1, got {v!r}", f"params.{name}")
        return v

    def _float(self, p: dict, name: str, default: float) -> float:
        v = p.get(name, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            self._err(f"expected a number in (0, 1], got {v!r}", f"params.{name}")
        return float(v)

    def _bool(self, p: dict, name: str, default: bool) -> bool:
        v = p.get(name, default)
        if not isinstance(v, bool):
            self._err(f"expected true or false, got {v!r}", f"params.{name}")
        return v

    def _choice(self, p: dict, name: str, options: tuple[str, ...], default: str) -> str:
        v = p.get(name) or default
        if v not in options:
            self._err(f"expected one of {options}, got {v!r}", f"params.{name}")
        return v

    def _device(self, name: str) -> torch.device:
        try:
            dev = torch.device(name)
        except RuntimeError:
            self._err(f"unknown device {name!r}", "device")
        if dev.type == "cuda" and not torch.cuda.is_available():
            self._err(f"device {name!r} requested but CUDA is not available", "device")
        if dev.type not in ("cpu", "cuda"):
            self._err(f"device {name!r} is not supported (cpu, cuda)", "device")
        return dev

    def _check_params(self, p: dict, known: tuple[str, ...], of: str = "") -> None:
        unknown = sorted(set(p) - set(known))
        if unknown:
            self._err(f"unknown parameter {unknown[0]!r}{of} (known: {', '.join(known)})", "params")

    def _require(self, p: dict, *names: str) -> None:
        for name in names:
            if not p.get(name):
                self._err("missing required field", f"params.{name}")

    def _read_run_params(self, p: dict, default_steps: int) -> None:
        """The parameters every GR00T card shares: denoising_steps, noise, batch_invariant,
        annotation_key, the device and dtype (auto: bfloat16 on CUDA, float32 on the CPU)."""
        self.steps = self._int(p, "denoising_steps", default_steps)
        self.noise_mode = self._choice(p, "noise", ("per_episode", "per_call"), "per_episode")
        self.batch_invariant = self._bool(p, "batch_invariant", True)
        self.annotation_key = str(p.get("annotation_key") or ANNOTATION_KEY)
        self.device = self._device(self.spec.device)
        dt = self._choice(p, "dtype", ("auto", *DTYPES), "auto")
        self.dtype = (torch.bfloat16 if self.device.type == "cuda" else torch.float32) if dt == "auto" else DTYPES[dt]

    def _set_threads(self, p: dict) -> None:
        if p.get("cpu_threads") is not None:
            torch.set_num_threads(self._int(p, "cpu_threads", 1))

    def _key_map(self, raw: Any, modality: str, known_as: str) -> dict:
        """A card's `video`, `state` or `action`: a mapping of suite keys to checkpoint keys,
        or a list of suite keys named as the checkpoint's (`[state.arm]` = `{state.arm: arm}`)."""
        if isinstance(raw, list):
            raw = {k: (k.split(".", 1)[1] if isinstance(k, str) and "." in k else k) for k in raw}
        if not isinstance(raw, dict):
            self._err(
                f"expected a mapping of suite keys to checkpoint {known_as} keys (or a list)", f"params.{modality}"
            )
        return raw

    def _key_maps(self, raw: dict, modality: str) -> Iterator[tuple[str, Any, tuple[int, ...] | None, float]]:
        """(suite key, checkpoint key, index, fill) of each entry, checked one by one as the
        caller goes (so the first wrong entry is the one reported)."""
        field = f"params.{modality}"
        for suite_key, value in raw.items():
            if not isinstance(suite_key, str) or not suite_key.startswith(modality + "."):
                self._err(f"suite key {suite_key!r} must look like {modality}.<name>", field)
            try:
                meta_key, index, fill = parse_key_map(value, modality)
            except ValueError as e:
                self._err(f"{suite_key}: {e}", field)
            yield suite_key, meta_key, index, fill

    def _load_weights(self, optional: dict[str, str]) -> None:
        """Fill `model` from the checkpoint (strict), saying in one line what was optional."""
        report = load_weights(self.model, self.ckpt, optional)
        self.skipped, self.absent = report.skipped, report.absent
        print(report.line(self.ckpt), file=console.stream())

    # -- the Policy interface

    def required_obs(self) -> dict[str, tuple[int, ...] | None]:
        # Frames of any size: the processors crop and resize them as each generation's original
        # pipeline does with frames at the dataset's resolution (so a 224x224 camera binds a
        # checkpoint trained on 256x256 frames).
        req: dict[str, tuple[int, ...] | None] = {k.suite_key: None for k in self.video}
        for k in self.state:  # a mapped joint group takes any width covering its index
            req[k.suite_key] = (k.dim,) if k.index is None else None
        return req

    def bind(self, task: TaskSpec, obs_space: gym.spaces.Dict, act_space: gym.spaces.Dict) -> None:
        ours = f"policy {self.spec.name!r} (checkpoint embodiment {self.tag!r})"
        for key, shape in self.required_obs().items():
            if key not in obs_space.spaces:
                raise UserError(
                    f"{ours} needs {key} but task {task.name!r} provides only "
                    f"{', '.join(obs_space.spaces) or 'nothing'}",
                    where=self.where,
                )
            have = tuple(obs_space.spaces[key].shape)
            if shape is not None and have != tuple(shape):
                raise UserError(
                    f"{ours} expects {key} of shape {tuple(shape)}, task {task.name!r} gives {have}", where=self.where
                )
        theirs = {k: int(s.shape[0]) for k, s in act_space.spaces.items()}
        for k in self.state:
            if k.index is not None and int(obs_space.spaces[k.suite_key].shape[0]) <= max(k.index):
                raise UserError(
                    f"{ours} reads dims {list(k.index)} of {k.suite_key}, task {task.name!r} gives "
                    f"{obs_space.spaces[k.suite_key].shape[0]}",
                    where=self.where,
                )
        for k in self.action:  # a mapped joint group is as wide as the task's key
            if k.index is not None and k.suite_key in theirs:
                if theirs[k.suite_key] <= max(k.index):
                    raise UserError(
                        f"{ours} writes dims {list(k.index)} of {k.suite_key}, task {task.name!r} takes "
                        f"{theirs[k.suite_key]}",
                        where=self.where,
                    )
                k.suite_dim = theirs[k.suite_key]
        mine = {k.suite_key: (k.dim if k.index is None else k.suite_dim) for k in self.action}
        # Every key the env takes, but those the task card ignores or fills may be left out
        # (a checkpoint trained without them); no key the env does not take.
        optional = {k for k, a in task.actions.items() if not a.required}
        if set(mine) - set(theirs) or set(theirs) - set(mine) - optional:
            raise UserError(
                f"{ours} outputs {sorted(mine)} but task {task.name!r} takes {sorted(theirs)}"
                + (f" (of which {', '.join(sorted(optional))} may be left out)" if optional else ""),
                where=self.where,
            )
        for k, d in mine.items():
            if theirs[k] != d:
                raise UserError(
                    f"{ours} outputs {k} of dim {d}, task {task.name!r} takes dim {theirs[k]}", where=self.where
                )
        self.task = task
        self.action_space = act_space

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        for slot, seed in zip(slots, seeds, strict=True):
            self._slots[int(slot)] = _Slot(int(seed))

    def _seed(self, *parts: int) -> int:
        ss = np.random.SeedSequence(entropy=self.spec.seed % 2**64, spawn_key=tuple(int(x) % 2**64 for x in parts))
        return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))

    def _noise(self, slots: np.ndarray) -> torch.Tensor:
        rows = []
        for slot in slots:
            st = self._slots.setdefault(int(slot), _Slot(2**32 + int(slot)))  # not reset: a slot-derived seed
            rows.append((st.episode_seed, st.calls))
            st.calls += 1
        if self.noise_mode == "per_call":
            g = torch.Generator().manual_seed(self._seed(*(x for r in rows for x in r)))
            return self.model.initial_noise(len(rows), g)
        return torch.cat([self.model.initial_noise(1, torch.Generator().manual_seed(self._seed(*r))) for r in rows])

    # -- the policy call (see "Batch invariance" above)

    def _prepare(self, obs: dict[str, Any]) -> Any:
        """The model inputs of a batch, checked (a UserError names what is wrong)."""
        raise NotImplementedError

    def _run(self, prepared: Any, noise: torch.Tensor) -> dict[str, np.ndarray]:
        """Actions {suite key: float32 [B, horizon, D]} from `_prepare`'s inputs and the noise."""
        raise NotImplementedError

    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        slots = np.asarray(slots)
        if self.batch_invariant and len(slots) > 1:
            parts = [self._prepare(row) for row in self._split_rows(obs, len(slots))]
        else:
            parts = [self._prepare(obs)]
        noise = self._noise(slots)  # after every row is checked: a refused call draws nothing
        if len(parts) == 1:
            return self._run(parts[0], noise)
        outs = [self._run(p, noise[i : i + 1]) for i, p in enumerate(parts)]
        return {k: np.concatenate([o[k] for o in outs]) for k in outs[0]}

    def _split_rows(self, obs: dict[str, Any], b: int) -> list[dict[str, Any]]:
        """One observation per row ([1, ...] arrays, one-string lists). Every key this adapter
        reads must have one row per slot; keys it does not read pass whole if they have not."""
        reads = set(self.required_obs()) | {self.annotation_key, ANNOTATION_KEY}
        for k in reads & set(obs):
            n = _rows(obs[k])
            if n is not None and n != b:
                raise UserError(f"{k} has {n} rows for {b} slots")
        return [{k: (v[i : i + 1] if _rows(v) == b else v) for k, v in obs.items()} for i in range(b)]

    def identity(self) -> dict[str, Any]:
        """Part of the run identity: per-row (batch invariant) or batched inference."""
        mode = "per_row" if self.batch_invariant else "batched"
        return {
            "summary": f"policy {self.spec.name!r} (GR00T, {mode.replace('_', '-')} inference)",
            "inference": mode,
        }


def _rows(v: Any) -> int | None:
    if isinstance(v, np.ndarray):
        return v.shape[0] if v.ndim else None
    if isinstance(v, (list, tuple)):
        return len(v)
    return None
