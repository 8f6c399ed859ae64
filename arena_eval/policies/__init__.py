"""Policy adapters behind one small interface (`base.Policy`), made from policy cards."""

from .base import Policy, make_policy

__all__ = ["Policy", "make_policy"]
