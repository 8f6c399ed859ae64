"""The project's own Isaac Lab task configurations (local assets only).

Importing this package registers their gym ids. Empty until the task suites land.
"""
