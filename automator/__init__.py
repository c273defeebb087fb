"""Deployment Automator: keeps GitOps environment repositories on the newest allowed image tags."""

__version__ = "0.1.0"
