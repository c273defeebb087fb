"""Argo CD Image Updater: its configuration read from the repository, written back as its git
method writes.

``config`` turns Application annotations and ImageUpdater resources into image settings,
``catalog`` collects the Applications of a tree and decides each one's write-back target,
``overrides`` knows the ``.argocd-source-<app>.yaml`` format, ``tree`` is the first pass
(I/O) and ``locate`` the locator (dialect ``argocd``) bound to the catalog.
"""
