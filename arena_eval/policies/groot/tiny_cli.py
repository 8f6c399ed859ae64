"""`scripts/make_tiny_groot.py`: a tiny random GR00T checkpoint of any generation (N1, N1.5,
N1.6, N1.7) in its released layout, its processor directory and a policy card for a suite task."""

from __future__ import annotations

from pathlib import Path

from .common.tiny import spec_from_task, tiny_card


def main(argv: list[str] | None = None) -> int:
    """`scripts/make_tiny_groot.py`: write <out>/checkpoint, <out>/processor and <out>/policy.yaml."""
    import argparse

    import yaml

    from ...cards import load_suite
    from ...errors import UserError

    p = argparse.ArgumentParser(
        description="Write a tiny random GR00T checkpoint (real layout), its processor "
        "directory and a policy card for a suite's task."
    )
    p.add_argument("--out", type=Path, required=True, help="output directory (must not exist or be empty)")
    p.add_argument(
        "--version",
        "--arch",
        dest="arch",
        choices=["n1", "n1.5", "n1.6", "n1.7"],
        default="n1.5",
        help="GR00T generation, i.e. the checkpoint layout to write",
    )
    p.add_argument("--suite", default="smoke", help="suite whose task keys the checkpoint's metadata describes")
    p.add_argument("--task", default=None, help="task of the suite (default: the first)")
    p.add_argument(
        "--video", action="append", default=[], metavar="NAME=WxH", help="size of a camera, e.g. ego_view=256x256"
    )
    p.add_argument(
        "--state-dim",
        action="append",
        default=[],
        metavar="NAME=D",
        help="width of a state key the suite card leaves to the env",
    )
    p.add_argument("--tag", default="new_embodiment", help="embodiment tag")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shards", type=int, default=2)
    p.add_argument("--n-action-steps", type=int, default=8)
    p.add_argument("--denoising-steps", type=int, default=4)
    p.add_argument("--cpu-threads", type=int, default=1, help="torch threads in the card (0: torch's default)")
    a = p.parse_args(argv)
    video = {}
    for v in a.video:
        try:
            name, size = v.split("=", 1)
            w, h = (int(x) for x in size.lower().split("x"))
        except ValueError:
            raise UserError(f"expected NAME=WIDTHxHEIGHT, got {v!r}", field="--video") from None
        video[name] = (w, h)
    if not 1 <= a.n_action_steps <= 16:
        raise UserError(f"expected 1..16, got {a.n_action_steps}", field="--n-action-steps")
    if a.denoising_steps < 1 or a.shards < 1:
        raise UserError("expected integers >= 1", field="--denoising-steps/--shards")
    suite = load_suite(a.suite)
    task = suite.task(a.task) if a.task else suite.tasks[0]
    n1x = a.arch in ("n1.6", "n1.7")
    if n1x:  # N1.6/N1.7 resize any frame size themselves: camera sizes are not needed
        cams = [k.split(".", 1)[1] for k in task.observations if k.startswith("video.")]
        video = {c: video.get(c, (0, 0)) for c in cams}
    dims = {}
    for v in a.state_dim:
        try:
            name, d = v.split("=", 1)
            dims[name] = int(d)
        except ValueError:
            raise UserError(f"expected NAME=D, got {v!r}", field="--state-dim") from None
    spec = spec_from_task(task, video, dims)
    if a.out.exists() and any(a.out.iterdir()):
        raise UserError("exists and is not empty", where=str(a.out))
    if n1x:
        from .n1x.tiny import write_tiny as write_tiny_n1x

        write_tiny_n1x(
            a.out / "checkpoint",
            a.out / "processor",
            arch=a.arch,
            spec=spec,
            tag=a.tag,
            seed=a.seed,
            num_shards=a.shards,
            extra_text=[t.instruction for t in suite.tasks],
        )
    else:
        from .n1.tiny import write_tiny

        write_tiny(
            a.out / "checkpoint",
            a.out / "processor",
            arch=a.arch,
            embodiments={a.tag: spec},
            seed=a.seed,
            num_shards=a.shards,
        )
    card = tiny_card(
        f"tiny-gr00t-{a.arch}",
        Path("checkpoint"),
        Path("processor"),
        spec,
        tag=a.tag,
        n_action_steps=a.n_action_steps,
        denoising_steps=a.denoising_steps,
        seed=a.seed,
        cpu_threads=a.cpu_threads or None,
    )
    (a.out / "policy.yaml").write_text(
        f"# Tiny random GR00T {a.arch} for suite {suite.name!r}, task {task.name!r}.\n"
        + yaml.safe_dump(card, sort_keys=False)
    )
    print(a.out / "policy.yaml")
    return 0
