"""Flow matching is right, not only shaped right: the tiny N1.5 action head, trained with the
reference loss (Beta time sampling, masked velocity MSE) on a synthetic conditional
distribution, samples that distribution: per condition, the mean and std of every real action
dim at every horizon step. An untrained head fails the same check."""

from __future__ import annotations

import copy
import math
import time

import pytest
import torch

from arena_eval.policies.groot.n1.action_head import FlowMatchingActionHead
from arena_eval.policies.groot.n1.config import N15, ActionHeadConfig
from arena_eval.policies.groot.n1.tiny import tiny_config

H, REAL_DIMS, ACTION_DIM, STATE_DIM, CTX_DIM = 4, 2, 4, 4, 64
STEPS, BATCH, LR = 800, 64, 2e-3
# Per condition (state[0] = -1 or +1): mean of each real action dim (+0.1 per horizon step), std.
MEAN = {0: torch.tensor([-0.5, 0.3]), 1: torch.tensor([0.6, -0.2])}
STD = {0: torch.tensor([0.2, 0.3]), 1: torch.tensor([0.4, 0.15])}
EMB = 31  # new_embodiment; one id for the whole batch


def head_config() -> ActionHeadConfig:
    cfg = copy.deepcopy(tiny_config(N15, max_state_dim=STATE_DIM, action_dim=ACTION_DIM, action_horizon=H, dropout=0.0))
    cfg["action_head_cfg"]["diffusion_model_cfg"]["num_layers"] = 2  # 1 cross + 1 self block: fast enough
    return ActionHeadConfig.from_dict(cfg["action_head_cfg"], "test")


def batch(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    c = torch.randint(0, 2, (n,), generator=g)
    state = torch.zeros(n, 1, STATE_DIM)
    state[:, 0, 0] = c.float() * 2 - 1
    mean = torch.stack([MEAN[int(i)] for i in c])[:, None, :] + 0.1 * torch.arange(H)[None, :, None]
    std = torch.stack([STD[int(i)] for i in c])[:, None, :]
    actions = torch.zeros(n, H, ACTION_DIM)
    actions[..., :REAL_DIMS] = mean + std * torch.randn(n, H, REAL_DIMS, generator=g)
    mask = torch.zeros(n, H, ACTION_DIM, dtype=torch.bool)
    mask[..., :REAL_DIMS] = True
    return state, actions, mask


def check(head: FlowMatchingActionHead, ctx: torch.Tensor, g: torch.Generator) -> list[str]:
    """What is off in the samples (empty when they match the distribution)."""
    problems = []
    n = 2000
    for cond in (0, 1):
        state = torch.zeros(n, 1, STATE_DIM)
        state[:, 0, 0] = cond * 2 - 1
        noise = torch.randn(n, H, ACTION_DIM, generator=g)
        # Many Euler steps: few steps shrink narrow distributions by themselves (discretisation).
        out = head.sample(ctx.expand(n, -1, -1), state, EMB, noise, num_steps=32)[..., :REAL_DIMS]
        want = MEAN[cond][None, :] + 0.1 * torch.arange(H)[:, None]
        err = (out.mean(0) - want).abs().max().item()
        ratio = out.std(0) / STD[cond][None, :]
        if err > 0.06:
            problems.append(f"condition {cond}: mean off by {err:.3f}")
        if not ((ratio > 0.75) & (ratio < 1.3)).all():
            problems.append(f"condition {cond}: std ratio {ratio.min().item():.2f}..{ratio.max().item():.2f}")
    return problems


@pytest.fixture(autouse=True)
def one_thread():
    # Other processes share these 2 cores; a second torch thread mostly waits on them.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_trained_head_samples_the_conditional_distribution(one_thread):
    t0 = time.perf_counter()
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    head = FlowMatchingActionHead(head_config(), n15=True)
    ctx = torch.randn(1, 2, CTX_DIM, generator=g)
    head.eval()
    assert check(head, ctx, g), "an untrained head must not pass"

    opt = torch.optim.AdamW(head.parameters(), lr=LR, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min(1.0, (i + 1) / 50) * 0.5 * (1 + math.cos(math.pi * i / STEPS))
    )
    head.train()
    losses = []
    for _ in range(STEPS):
        state, actions, mask = batch(BATCH, g)
        loss = head.loss(ctx.expand(BATCH, -1, -1), state, EMB, actions, mask, generator=g)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    head.eval()
    assert sum(losses[-50:]) < 0.6 * sum(losses[:50])
    assert check(head, ctx, g) == []
    print(f"trained and checked in {time.perf_counter() - t0:.1f} s")  # about 20 s on 2 quiet cores


def test_loss_masks_padded_dims_and_takes_shared_ids():
    torch.manual_seed(0)
    head = FlowMatchingActionHead(head_config(), n15=True).eval()
    g = torch.Generator().manual_seed(1)
    state, actions, mask = batch(8, g)
    ctx = torch.randn(8, 2, CTX_DIM)

    def loss(ids, m):
        return head.loss(ctx, state, ids, actions, m, generator=torch.Generator().manual_seed(2))

    a = loss(EMB, mask)
    full = loss(EMB, torch.ones_like(mask))
    assert not torch.allclose(a, full)  # the mask changes what is averaged
    # per-sample ids (gather + bmm) and one shared id (matmul) compute the same loss
    assert torch.allclose(a, loss(torch.full((8,), EMB), mask), atol=1e-6)
