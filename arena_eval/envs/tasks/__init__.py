"""The project's own Isaac Lab task configurations (local assets only).

Importing this package registers their gym ids; their cfg modules (which import Isaac Lab)
load only when an env is made.
"""

from . import g1  # noqa: F401
from . import dexmg  # noqa: F401
from . import robocasa  # noqa: F401
