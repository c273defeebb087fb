"""Registry access: OCI distribution v2 over requests, credentials like docker, a disk cache.

``RegistryTagSource.from_settings(ctx, RegistrySettings(timeout=..., max_tags=..., ...),
cache_dir=...)`` is what the command edge builds; see ``docs/registries.md``.
"""

from automator.registry.cache import RegistryCache
from automator.registry.challenge import Challenge, parse_www_authenticate
from automator.registry.credentials import Credentials, CredentialStore
from automator.registry.settings import RegistrySettings
from automator.registry.source import RegistryTagSource
from automator.registry.transport import RetryPolicy, Transport

__all__ = [
    "Challenge",
    "CredentialStore",
    "Credentials",
    "RegistryCache",
    "RegistrySettings",
    "RegistryTagSource",
    "RetryPolicy",
    "Transport",
    "parse_www_authenticate",
]
