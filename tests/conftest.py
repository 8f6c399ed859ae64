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
