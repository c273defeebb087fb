"""Manifests: discover files (I/O), locate automated image fields (pure), patch them (pure).

Dialects are entries of :data:`automator.manifest.locators.LOCATORS`; see
:mod:`automator.manifest.locate` for the locator interface.
"""
