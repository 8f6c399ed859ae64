import sys
from pathlib import Path

# tests/unit: one part at a time, test doubles allowed (tests/support/fakes.py, fake_worlds.py);
# tests/integration: the real components (Isaac Lab, the models, the server, Ray).
# tests/support holds the helpers and fakes both use, importable by name.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """Smoke-suite runs shared by every test of the session (test_isaaclab_smoke, test_ray)."""
    from helpers_isaaclab import Runs

    return Runs(tmp_path_factory.mktemp("runs"))


# `scripts/run.sh test` runs the tests on several xdist workers. A module is one unit of
# work (its fixtures run once), the modules sharing the session's smoke runs are one unit, and
# the slowest units go first (longest-processing-time first), so the workers finish together.
# Seconds per unit from `.ci/run`'s --durations (2 xdist workers on 2 cores, 2026-12-06); modules
# not listed are fast; test_isaaclab_robocasa.py (26 tasks since RoboCasa's 24): 510 s run alone
# by `scripts/run.sh test` on 2 cores shared with another engineer's tests (2026-12-08);
# test_isaaclab_workers.py is estimated (its runs, the learned policy's since
# issue 28, take twice the CPU time of the scripted ones before). A unit costed too low starts
# late and leaves the other worker idle at the end. (xdist's own `--dist loadgroup` cannot be
# used: with pytest 9 its group marks no longer reach the scheduler, so this file gives xdist a
# scheduler that groups by module.)
# (test_ray.py also stops every Ray process on the machine after its `ray start` cluster, so
# no other unit may run Ray beside it.)
_SHARED_RUNS = {"test_isaaclab_smoke.py", "test_ray.py", "test_isaaclab_leaderboard.py"}
_COST = {
    "smoke-runs": 400, "test_shipped_checkpoint.py": 205, "test_groot_generations.py": 180,
    "test_isaaclab_workers.py": 330, "test_isaaclab_robocasa.py": 510, "test_isaaclab_g1.py": 110,
    "test_isaaclab_vary.py": 105, "test_isaaclab_dexmg.py": 95, "test_groot_train.py": 95,
    "test_serve_isaaclab.py": 90, "test_isaaclab_sweep.py": 90, "test_dataset.py": 30, "test_groot_flow.py": 28,
    "test_ext_family.py": 35, "test_code_identity.py": 30, "test_newton_patches.py": 18, "test_groot_smoke.py": 15,
}


def _unit(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return "smoke-runs" if module in _SHARED_RUNS else module


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: -_COST.get(_unit(item.nodeid), 0))  # stable: a module's order is kept


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ModuleUnits(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    config.option.loadscopereorder = False  # keep the collection's order (slowest first)
    return ModuleUnits(config, log)
