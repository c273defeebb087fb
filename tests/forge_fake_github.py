"""A fake of the GitHub REST endpoints the forge layer uses, with the documented shapes.

Endpoints (https://docs.github.com/en/rest/pulls/pulls, /issues/comments, /issues/labels,
/issues/assignees, /pulls/review-requests, and GraphQL ``enablePullRequestAutoMerge``):

    GET   /repos/{owner}/{repo}/pulls?state=open&head=owner:branch&base=...
    GET   /repos/{owner}/{repo}/pulls/{number}
    POST  /repos/{owner}/{repo}/pulls                         (422 when head has an open PR,
                                                               or the body is over 65,536 characters)
    PATCH /repos/{owner}/{repo}/pulls/{number}                (422 when the body is too long)
    GET   /repos/{owner}/{repo}/issues/{number}/comments
    POST  /repos/{owner}/{repo}/issues/{number}/comments
    POST  /repos/{owner}/{repo}/issues/{number}/labels
    POST  /repos/{owner}/{repo}/issues/{number}/assignees
    POST  /repos/{owner}/{repo}/pulls/{number}/requested_reviewers
    POST  /graphql
"""

from __future__ import annotations

from collections.abc import Callable

from forge_fake_http import FakeServer, Recorded, Reply

VALIDATION = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
BODY_LIMIT = 65_536


class FakeGitHub(FakeServer):
    def __init__(self, slug: str, *, tokens: dict[str, str], branch_exists: Callable[[str], bool]) -> None:
        """``tokens`` maps token -> "write" | "read"."""
        super().__init__()
        self.owner, self.name = slug.split("/")
        self.tokens = tokens
        self.branch_exists = branch_exists
        self.pulls: dict[int, dict] = {}
        self.comments: list[tuple[int, str]] = []
        self.auto_merge: list[dict] = []
        self._next = 1
        repo = rf"/repos/{self.owner}/{self.name}"
        self.route("GET", rf"{repo}/pulls", self.list_pulls)
        self.route("GET", rf"{repo}/pulls/(?P<number>\d+)", self.get_pull)
        self.route("POST", rf"{repo}/pulls", self.create_pull)
        self.route("PATCH", rf"{repo}/pulls/(?P<number>\d+)", self.update_pull)
        self.route("POST", rf"{repo}/issues/(?P<number>\d+)/comments", self.comment)
        self.route("GET", rf"{repo}/issues/(?P<number>\d+)/comments", self.list_comments)
        self.route("POST", rf"{repo}/issues/(?P<number>\d+)/labels", self.labels)
        self.route("POST", rf"{repo}/issues/(?P<number>\d+)/assignees", self.assignees)
        self.route("POST", rf"{repo}/pulls/(?P<number>\d+)/requested_reviewers", self.reviewers)
        self.route("POST", r"/graphql", self.graphql)

    # --- helpers --------------------------------------------------------------------------

    def open_pulls(self) -> list[dict]:
        return [p for p in self.pulls.values() if p["state"] == "open"]

    def _auth(self, request: Recorded, write: bool) -> None:
        header = request.headers.get("authorization", "")
        token = header.split(" ", 1)[1] if " " in header else ""
        scope = self.tokens.get(token)
        if scope is None:
            raise Reply(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
        if write and scope != "write":
            raise Reply(403, {"message": "Resource not accessible by personal access token", "status": "403"})

    def _pull(self, number: str) -> dict:
        pull = self.pulls.get(int(number))
        if pull is None:
            raise Reply(404, {"message": "Not Found"})
        return pull

    def _json(self, pull: dict) -> dict:
        api = f"{self.base}/repos/{self.owner}/{self.name}"
        n = pull["number"]
        repo = {"id": 1, "name": self.name, "full_name": f"{self.owner}/{self.name}", "url": api, "owner": {"login": self.owner}}
        return {
            "url": f"{api}/pulls/{n}",
            "id": 1000 + n,
            "node_id": f"PR_node{n}",
            "html_url": f"https://github.example/{self.owner}/{self.name}/pull/{n}",
            "issue_url": f"{api}/issues/{n}",
            "number": n,
            "state": pull["state"],
            "locked": False,
            "title": pull["title"],
            "body": pull["body"],
            "draft": pull["draft"],
            "merged": False,
            "user": {"login": "automator-bot", "id": 7},
            "labels": [{"id": i, "name": name} for i, name in enumerate(pull["labels"])],
            "assignees": [{"login": a} for a in pull["assignees"]],
            "requested_reviewers": [{"login": r} for r in pull["reviewers"]],
            "head": {"label": f"{self.owner}:{pull['head']}", "ref": pull["head"], "sha": "0" * 40, "repo": repo},
            "base": {"label": f"{self.owner}:{pull['base']}", "ref": pull["base"], "sha": "0" * 40, "repo": repo},
        }

    # --- endpoints ------------------------------------------------------------------------

    def list_pulls(self, request: Recorded):
        self._auth(request, write=False)
        state = request.query.get("state", "open")
        head = request.query.get("head")
        base = request.query.get("base")
        found = [
            self._json(p)
            for p in sorted(self.pulls.values(), key=lambda p: p["number"])
            if (state == "all" or p["state"] == state)
            and (head is None or f"{self.owner}:{p['head']}" == head)
            and (base is None or p["base"] == base)
        ]
        return 200, found

    def get_pull(self, request: Recorded, number: str):
        self._auth(request, write=False)
        return 200, self._json(self._pull(number))

    @staticmethod
    def _check_body(body: dict) -> None:
        if len(body.get("body") or "") > BODY_LIMIT:
            message = f"body is too long (maximum is {BODY_LIMIT} characters)"
            raise Reply(422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "field": "body", "message": message}], "documentation_url": VALIDATION})

    def create_pull(self, request: Recorded):
        self._auth(request, write=True)
        body = request.body or {}
        self._check_body(body)
        for key in ("head", "base", "title"):
            if not isinstance(body.get(key), str):
                raise Reply(422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": key, "code": "missing_field"}]})
        head = body["head"].split(":", 1)[-1]
        if not self.branch_exists(head):
            raise Reply(422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}], "documentation_url": VALIDATION})
        if any(p["head"] == head and p["base"] == body["base"] for p in self.open_pulls()):
            message = f"A pull request already exists for {self.owner}:{head}."
            raise Reply(422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "code": "custom", "message": message}], "documentation_url": VALIDATION})
        number = self._next
        self._next += 1
        self.pulls[number] = {
            "number": number, "state": "open", "title": body["title"], "body": body.get("body") or "",
            "draft": bool(body.get("draft")), "head": head, "base": body["base"],
            "labels": [], "assignees": [], "reviewers": [],
        }
        return 201, self._json(self.pulls[number])

    def update_pull(self, request: Recorded, number: str):
        self._auth(request, write=True)
        pull = self._pull(number)
        self._check_body(request.body or {})
        for key in ("title", "body", "state"):
            if key in (request.body or {}):
                pull[key] = request.body[key]
        return 200, self._json(pull)

    def comment(self, request: Recorded, number: str):
        self._auth(request, write=True)
        self._pull(number)
        self.comments.append((int(number), request.body["body"]))
        return 201, {"id": len(self.comments), "body": request.body["body"], "user": {"login": "automator-bot"}}

    def list_comments(self, request: Recorded, number: str):
        self._auth(request, write=False)
        self._pull(number)
        found = [c for c in self.comments if c[0] == int(number)]
        return 200, [{"id": i + 1, "body": body, "user": {"login": "automator-bot"}} for i, (_n, body) in enumerate(found)]

    def labels(self, request: Recorded, number: str):
        self._auth(request, write=True)
        pull = self._pull(number)
        names = request.body["labels"] if isinstance(request.body, dict) else request.body
        pull["labels"].extend(n for n in names if n not in pull["labels"])
        return 200, [{"id": i, "name": n, "color": "ededed"} for i, n in enumerate(pull["labels"])]

    def assignees(self, request: Recorded, number: str):
        self._auth(request, write=True)
        pull = self._pull(number)
        pull["assignees"].extend(request.body["assignees"])
        return 201, {"number": pull["number"], "assignees": [{"login": a} for a in pull["assignees"]]}

    def reviewers(self, request: Recorded, number: str):
        self._auth(request, write=True)
        pull = self._pull(number)
        pull["reviewers"].extend(request.body.get("reviewers", []))
        return 201, self._json(pull)

    def graphql(self, request: Recorded):
        self._auth(request, write=True)
        query = request.body["query"]
        if "enablePullRequestAutoMerge(input: $input)" not in query:
            raise Reply(200, {"errors": [{"message": f"unexpected query {query}"}]})
        given = request.body["variables"]["input"]
        if not any(f"PR_node{n}" == given.get("pullRequestId") for n in self.pulls):
            raise Reply(200, {"errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a node"}]})
        self.auto_merge.append(given)
        return 200, {"data": {"enablePullRequestAutoMerge": {"actor": {"login": "automator-bot"}, "clientMutationId": None}}}
