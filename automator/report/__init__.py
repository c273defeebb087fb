"""Renderings of a plan: ``text`` (terminal tables), ``json`` (machine-readable)."""
