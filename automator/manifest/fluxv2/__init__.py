"""Flux v2 image automation: ``$imagepolicy`` markers resolved against ImagePolicy and
ImageRepository objects found in the repository, and Kustomization ``images:`` entries.

``marker`` parses one marker comment, ``sites`` finds the marked scalars of a document,
``catalog`` and ``tree`` collect the Flux objects of a tree (``namespaces``: the namespace a
kustomization gives them; ``scope``: which policies an ImageUpdateAutomation applies where),
and ``locate`` holds the two locators (``FluxV2Locator``, ``KustomizeImagesLocator``) bound to
that catalog. ``automation`` turns an ImageUpdateAutomation into ``automator run``'s defaults.
"""
