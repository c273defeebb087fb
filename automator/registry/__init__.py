"""Registry access: OCI distribution v2 over requests, credentials like docker, a disk cache.

``RegistryTagSource.from_options(ctx, cache_dir=..., insecure_registries=..., platform=...,
concurrency=...)`` is what the CLI builds; see ``docs/registries.md``.
"""

from automator.registry.cache import RegistryCache
from automator.registry.challenge import Challenge, parse_www_authenticate
from automator.registry.credentials import Credentials, CredentialStore
from automator.registry.source import RegistryTagSource
from automator.registry.transport import RetryPolicy, Transport

__all__ = [
    "Challenge",
    "CredentialStore",
    "Credentials",
    "RegistryCache",
    "RegistryTagSource",
    "RetryPolicy",
    "Transport",
    "parse_www_authenticate",
]
