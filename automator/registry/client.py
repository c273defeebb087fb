"""An OCI distribution v2 client for one registry: tag lists, digests, manifests, blobs.

Every failure becomes a :class:`RegistryError` that names the registry and the repository and,
for 401/403/404, says whether credentials were found (never what they are).
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import quote, urlsplit

import requests

from automator.errors import RegistryError
from automator.registry.auth import RegistryAuth
from automator.registry.formats import (
    ACCEPT_MANIFESTS,
    FormatError,
    next_page,
    oci_tags,
    parse_json_object,
    parse_tag_page,
    same_origin,
)
from automator.registry.settings import DEFAULT_MAX_TAGS
from automator.registry.transport import Transport, wait_asked
from automator.values import value_type

log = logging.getLogger("automator.registry")

PAGE_SIZE = 1000
MAX_IDLE_PAGES = 3  # pages in a row without a new tag, each linking on: paging that never ends
MAX_BODY = 4 * 1024 * 1024  # per answer: a tag list page, a manifest, an image config


@value_type
class Manifest:
    data: dict
    media_type: str
    digest: str


class RegistryClient:
    def __init__(self, registry: str, base_url: str, auth: RegistryAuth, transport: Transport,
                 *, max_tags: int = DEFAULT_MAX_TAGS) -> None:
        self.registry = registry
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.transport = transport
        self.max_tags = max_tags

    # --- plumbing ------------------------------------------------------------------------------

    def _request(self, method: str, url: str, path: str, **kwargs) -> requests.Response:
        probing = self.auth.begin()
        try:
            return self._authorised_request(method, url, path, **kwargs)
        finally:
            if probing:
                self.auth.settle()

    def _authorised_request(self, method: str, url: str, path: str, **kwargs) -> requests.Response:
        scope = f"repository:{path}:pull"
        what = f"{self.registry}/{path}"
        self.auth.prepare(scope)  # a token is fetched before, not inside, the exchange's deadline
        response = self.transport.send(method, url, auth=self.auth.for_scope(scope), what=what, limit=MAX_BODY, **kwargs)
        refreshed = False
        for _ in range(2):  # learn the challenge, then at most one token refresh
            if response.status_code == 401:
                self._refuse_foreign_challenge(response, what)
            sent = response.request is not None and "Authorization" in response.request.headers
            if response.status_code != 401 or (sent and refreshed) or not self.auth.on_unauthorized(response, scope):
                break
            refreshed = sent
            self.auth.prepare(scope)
            response = self.transport.send(method, url, auth=self.auth.for_scope(scope), what=what, limit=MAX_BODY, **kwargs)
        return response

    def _refuse_foreign_challenge(self, response: requests.Response, what: str) -> None:
        """A 401 from a host a redirect led to is that host's challenge, not the registry's:
        adopting it would send this registry's credentials (or a token service it names) there."""
        url = response.url or ""
        host = urlsplit(url).netloc.lower()
        if host and not same_origin(url, self.base_url):  # ":80" spelled out is the registry itself
            raise RegistryError(
                f"{what}: redirected to {host}, which asks for a login (HTTP 401); refused: "
                f"credentials for {self.registry} are only sent to {self.registry} and the token service it names",
                hint=f"check where {self.registry} redirects to; such a host must not need a login",
            )

    def _fail(self, response: requests.Response, path: str, action: str) -> RegistryError:
        status = response.status_code
        where = f"{self.registry}/{path}"
        creds = self.auth.credentials
        found = f"credentials for {self.registry} were found in {creds.origin}" if creds else (
            f"no credentials were found for {self.registry}"
        )
        problem = None if creds else self.auth.credentials_problem
        if problem:
            found += f" ({problem})"
        if status in (401, 403):
            hint = "check that this login may pull the repository" if creds else f"log in with: docker login {self.registry}"
            return RegistryError(f"{where}: access denied while {action} (HTTP {status}); {found}", hint=hint)
        if status == 404:
            return RegistryError(
                f"{where}: repository or tag not found while {action} (HTTP 404); {found}",
                hint="check the image name; private repositories also answer 404 without access",
            )
        if status == 429:
            later = wait_asked(response, "the registry")
            return RegistryError(f"{where}: rate limited while {action}{later}", hint="run again later or log in")
        if status >= 500:
            return RegistryError(f"{where}: HTTP {status} while {action}", hint="the registry kept failing; try again later")
        return RegistryError(f"{where}: HTTP {status} while {action}")

    def _read(self, response: requests.Response, path: str, action: str) -> bytes:
        if response.status_code != 200:
            raise self._fail(response, path, action)
        return response.content  # read whole by the transport, within MAX_BODY

    # --- tag lists -----------------------------------------------------------------------------

    def list_tags(self, path: str) -> tuple[list[str], int]:
        """All valid tags of a repository (unique, sorted), and how many pages were read: pages
        of ``PAGE_SIZE`` asked for, ``Link`` followed without a page cap, but never more than
        ``max_tags`` tags (past it the repository is an error: no choice from a partial list),
        nor on through ``MAX_IDLE_PAGES`` pages in a row that add no new tag."""
        url = f"{self.base_url}/v2/{path}/tags/list?n={PAGE_SIZE}"
        seen: set[str] = set()
        tags: set[str] = set()
        pages = idle = 0
        while url:
            if url in seen:
                raise RegistryError(f"{self.registry}/{path}: tag list pages link back to {url!r}")
            seen.add(url)
            response = self._request("GET", url, path)
            body = self._read(response, path, "listing tags")
            pages += 1
            before = len(tags)
            try:
                tags.update(parse_tag_page(body))
                following = next_page(url, response.headers.get("Link"))
            except FormatError as error:
                raise RegistryError(f"{self.registry}/{path}: malformed answer while listing tags: {error}") from None
            idle = idle + 1 if len(tags) == before else 0
            if following and idle >= MAX_IDLE_PAGES:
                raise RegistryError(
                    f"{self.registry}/{path}: tag list pages keep linking to a next page, but the last {idle} "
                    f"added no new tag; stopped after {pages} pages",
                    hint=f"the registry's paging is broken; report it to the operators of {self.registry}",
                )
            if len(tags) > self.max_tags:
                raise RegistryError(
                    f"{self.registry}/{path}: more than {self.max_tags} tags (the --max-tags limit); "
                    f"stopped after {pages} pages, no tag is chosen from a partial list",
                    hint="raise --max-tags, or delete old tags in the registry",
                )
            if following and not same_origin(following, url):
                raise RegistryError(f"{self.registry}/{path}: tag list links to another host; refused")
            url = following or ""
        return sorted(self._valid(path, tags)), pages

    def _valid(self, path: str, tags: set[str]) -> list[str]:
        valid, invalid = oci_tags(tags)
        if invalid:
            log.debug("%s/%s: %d listed tags are not valid OCI tags and are left out: %s", self.registry, path,
                      len(invalid), ", ".join(repr(t) for t in sorted(invalid)[:5]))
        return valid

    # --- manifests and blobs -------------------------------------------------------------------

    def digest(self, path: str, reference: str) -> str:
        """The digest a tag points to, by HEAD (GET when the registry omits the header)."""
        url = f"{self.base_url}/v2/{path}/manifests/{quote(reference, safe=':')}"
        response = self._request("HEAD", url, path, headers={"Accept": ACCEPT_MANIFESTS})
        if response.status_code != 200:
            raise self._fail(response, path, f"reading the digest of {reference}")
        digest = response.headers.get("Docker-Content-Digest")
        if digest:
            return digest
        return self.manifest(path, reference).digest

    def manifest(self, path: str, reference: str) -> Manifest:
        url = f"{self.base_url}/v2/{path}/manifests/{quote(reference, safe=':')}"
        action = f"reading the manifest of {reference}"
        response = self._request("GET", url, path, headers={"Accept": ACCEPT_MANIFESTS})
        body = self._read(response, path, action)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if reference.startswith("sha256:") and reference != digest:
            raise RegistryError(f"{self.registry}/{path}: manifest {reference} does not match its digest")
        try:
            data = parse_json_object(body, "manifest")
        except FormatError as error:
            raise RegistryError(f"{self.registry}/{path}: malformed answer while {action}: {error}") from None
        media = data.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
        return Manifest(data=data, media_type=media, digest=digest)

    def blob_json(self, path: str, digest: str) -> dict:
        url = f"{self.base_url}/v2/{path}/blobs/{digest}"
        action = f"reading blob {digest[:19]}"
        body = self._read(self._request("GET", url, path), path, action)
        if digest.startswith("sha256:") and "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise RegistryError(f"{self.registry}/{path}: blob {digest[:19]} does not match its digest")
        try:
            return parse_json_object(body, "image config")
        except FormatError as error:
            raise RegistryError(f"{self.registry}/{path}: malformed answer while {action}: {error}") from None
