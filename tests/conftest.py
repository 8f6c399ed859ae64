import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """Smoke-suite runs shared by every test of the session (test_isaaclab_smoke, test_ray)."""
    from helpers_isaaclab import Runs

    return Runs(tmp_path_factory.mktemp("runs"))


# `scripts/run.sh test` runs the tests on several xdist workers (--dist loadgroup). A module
# is one unit of work (its fixtures run once), the modules sharing the session's smoke runs
# are one unit, and the slowest units go first (longest-processing-time first), so the
# workers finish together. Seconds measured serially on 2 cores; modules not listed are fast.
_SHARED_RUNS = {"test_isaaclab_smoke.py", "test_ray.py", "test_isaaclab_leaderboard.py"}
_COST = {
    "smoke-runs": 360, "test_isaaclab_robocasa.py": 180, "test_isaaclab_g1.py": 170,
    "test_groot_generations.py": 160, "test_isaaclab_dexmg.py": 160, "test_isaaclab_workers.py": 130,
    "test_serve_isaaclab.py": 75, "test_shipped_checkpoint.py": 70, "test_groot_train.py": 50,
    "test_dataset.py": 30, "test_groot_flow.py": 25, "test_ext_family.py": 25, "test_isaaclab_vary.py": 60,
    "test_newton_patches.py": 18, "test_groot_smoke.py": 15,
}


def _unit(item) -> str:
    name = Path(str(item.fspath)).name
    return "smoke-runs" if name in _SHARED_RUNS else name


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_unit(item)))
    items.sort(key=lambda item: -_COST.get(_unit(item), 0))  # stable: a module's order is kept
