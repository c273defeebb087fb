"""Renderings of a plan for people and machines: text, JSON, Markdown, CI formats."""
