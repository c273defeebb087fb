"""Tags that are never candidates: signing artefacts, and tags a policy's exclusions name.

Cosign stores signatures, attestations and SBOMs as tags beside the image
(``sha256-<64 hex>.sig``, ``.att``, ``.sbom``), and registries without the referrers API
get the bare ``sha256-<64 hex>`` fallback tag. None of them is an image to deploy, so no
policy of any dialect ever offers them. ``PolicySpec.exclude`` adds regexes of its own
(Flux's ImageRepository ``exclusionList``, Argo CD Image Updater's ``ignore-tags``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from automator.policy.pattern import compile_go_regex

SIGNING_ARTEFACT = re.compile(r"sha256-[0-9a-f]{64}(?:\.(?:sig|att|sbom))?")
ARTEFACT_WHY = "a signing artefact, not an image"
EXCLUDED_WHY = "excluded by {pattern!r}"
ARTEFACT_PREFIX = "sha256-"


def is_signing_artefact(tag: str) -> bool:
    """True for cosign's signature/attestation/SBOM tags and the referrers fallback tag."""
    return tag.startswith(ARTEFACT_PREFIX) and SIGNING_ARTEFACT.fullmatch(tag) is not None


def exclusion_test(patterns: Sequence[str]) -> Callable[[str], str | None]:
    """A test giving why a tag is no candidate ('' never), or None when it may be one.

    Raises :class:`automator.policy.pattern.PatternSyntaxError` for a pattern Go refuses.
    """
    compiled = [(pattern, compile_go_regex(pattern)) for pattern in patterns]

    def why(tag: str) -> str | None:
        if is_signing_artefact(tag):
            return ARTEFACT_WHY
        for pattern, regex in compiled:
            if regex.search(tag):
                return EXCLUDED_WHY.format(pattern=pattern)
        return None

    return why
