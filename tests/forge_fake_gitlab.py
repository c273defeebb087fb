"""A fake of the GitLab REST v4 endpoints the forge layer uses, with the documented shapes.

Endpoints (https://docs.gitlab.com/api/merge_requests/, /api/notes/, /api/users/):

    GET  /api/v4/projects/:id/merge_requests?state=opened&source_branch=..&target_branch=..
    POST /api/v4/projects/:id/merge_requests             (409 when the source branch has one,
                                                          400 when the description is too long)
    PUT  /api/v4/projects/:id/merge_requests/:iid        (title, description, state_event,
                                                          add_labels, reviewer_ids, assignee_ids)
    GET  /api/v4/projects/:id/merge_requests/:iid/notes
    POST /api/v4/projects/:id/merge_requests/:iid/notes
    PUT  /api/v4/projects/:id/merge_requests/:iid/merge  (merge_when_pipeline_succeeds, squash, and
                                                          the other documented parameters)
    GET  /api/v4/users?username=..

Tokens: ``PRIVATE-TOKEN`` (scope ``api`` or ``read_api``) or ``JOB-TOKEN`` (which may not
manage merge requests, as on GitLab).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from forge_fake_http import FakeServer, Recorded, Reply

DESCRIPTION_LIMIT = 1_048_576  # GitLab: 1 megabyte of characters
MERGE_PARAMETERS = {  # "Merge a merge request", https://docs.gitlab.com/api/merge_requests/
    "merge_commit_message", "merge_when_pipeline_succeeds", "auto_merge", "sha",
    "should_remove_source_branch", "squash", "squash_commit_message",
}


class FakeGitLab(FakeServer):
    def __init__(self, slug: str, *, tokens: dict[str, str], branch_exists: Callable[[str], bool], users: dict[str, int] | None = None) -> None:
        """``tokens`` maps token -> "api" | "read_api" | "job"."""
        super().__init__()
        self.slug = slug
        self.tokens = tokens
        self.branch_exists = branch_exists
        self.users = users or {}
        self.mrs: dict[int, dict] = {}
        self.notes: list[tuple[int, str]] = []
        self._next = 1
        project = "/api/v4/projects/" + quote(slug, safe="")
        self.route("GET", rf"{project}/merge_requests", self.list_mrs)
        self.route("POST", rf"{project}/merge_requests", self.create_mr)
        self.route("PUT", rf"{project}/merge_requests/(?P<iid>\d+)", self.update_mr)
        self.route("POST", rf"{project}/merge_requests/(?P<iid>\d+)/notes", self.note)
        self.route("GET", rf"{project}/merge_requests/(?P<iid>\d+)/notes", self.list_notes)
        self.route("PUT", rf"{project}/merge_requests/(?P<iid>\d+)/merge", self.merge)
        self.route("GET", r"/api/v4/users", self.list_users)

    def open_mrs(self) -> list[dict]:
        return [m for m in self.mrs.values() if m["state"] == "opened"]

    def _auth(self, request: Recorded, write: bool) -> None:
        token = request.headers.get("private-token") or request.headers.get("job-token") or ""
        kind = self.tokens.get(token)
        if kind is None or (kind == "job") != ("job-token" in request.headers):
            raise Reply(401, {"message": "401 Unauthorized"})
        if kind == "job" or (write and kind != "api"):
            raise Reply(403, {"message": "403 Forbidden"})

    def _mr(self, iid: str) -> dict:
        mr = self.mrs.get(int(iid))
        if mr is None:
            raise Reply(404, {"message": "404 Not found"})
        return mr

    def _json(self, mr: dict) -> dict:
        draft = mr["title"].startswith(("Draft:", "[Draft]", "(Draft)"))
        return {
            "id": 5000 + mr["iid"],
            "iid": mr["iid"],
            "project_id": 42,
            "title": mr["title"],
            "description": mr["description"],
            "state": mr["state"],
            "source_branch": mr["source_branch"],
            "target_branch": mr["target_branch"],
            "draft": draft,
            "work_in_progress": draft,
            "labels": list(mr["labels"]),
            "assignees": [{"id": i} for i in mr["assignee_ids"]],
            "reviewers": [{"id": i} for i in mr["reviewer_ids"]],
            "merge_when_pipeline_succeeds": mr["mwps"],
            "squash": mr["squash"],
            "web_url": f"https://gitlab.example/{self.slug}/-/merge_requests/{mr['iid']}",
        }

    def list_mrs(self, request: Recorded):
        self._auth(request, write=False)
        q = request.query
        found = [
            self._json(m)
            for m in sorted(self.mrs.values(), key=lambda m: m["iid"])
            if q.get("state", "all") in ("all", m["state"])
            and q.get("source_branch", m["source_branch"]) == m["source_branch"]
            and q.get("target_branch", m["target_branch"]) == m["target_branch"]
        ]
        return 200, found

    @staticmethod
    def _check_description(body: dict) -> None:
        if len(body.get("description") or "") > DESCRIPTION_LIMIT:
            raise Reply(400, {"message": {"description": [f"is too long (maximum is {DESCRIPTION_LIMIT} characters)"]}})

    def create_mr(self, request: Recorded):
        self._auth(request, write=True)
        body = request.body or {}
        self._check_description(body)
        for key in ("source_branch", "target_branch", "title"):
            if not body.get(key):
                raise Reply(400, {"message": f"{key} is missing", "error": f"{key} is missing"})
        if not self.branch_exists(body["source_branch"]):
            raise Reply(422, {"message": ["Source branch does not exist"]})
        for mr in self.open_mrs():
            if mr["source_branch"] == body["source_branch"] and mr["target_branch"] == body["target_branch"]:
                raise Reply(409, {"message": [f"Another open merge request already exists for this source branch: !{mr['iid']}"]})
        iid = self._next
        self._next += 1
        self.mrs[iid] = {
            "iid": iid, "state": "opened", "title": body["title"], "description": body.get("description") or "",
            "source_branch": body["source_branch"], "target_branch": body["target_branch"],
            "labels": [], "assignee_ids": [], "reviewer_ids": [], "mwps": False, "squash": False,
        }
        return 201, self._json(self.mrs[iid])

    def update_mr(self, request: Recorded, iid: str):
        self._auth(request, write=True)
        mr = self._mr(iid)
        body = request.body or {}
        unknown = set(body) - {"title", "description", "state_event", "add_labels", "reviewer_ids", "assignee_ids"}
        if unknown:
            raise Reply(400, {"error": f"unexpected parameters {sorted(unknown)}"})
        self._check_description(body)
        mr["title"] = body.get("title", mr["title"])
        mr["description"] = body.get("description", mr["description"])
        if body.get("state_event") == "close":
            mr["state"] = "closed"
        if "add_labels" in body:
            mr["labels"].extend(x for x in body["add_labels"].split(",") if x not in mr["labels"])
        mr["reviewer_ids"] = body.get("reviewer_ids", mr["reviewer_ids"])
        mr["assignee_ids"] = body.get("assignee_ids", mr["assignee_ids"])
        return 200, self._json(mr)

    def note(self, request: Recorded, iid: str):
        self._auth(request, write=True)
        self._mr(iid)
        self.notes.append((int(iid), request.body["body"]))
        return 201, {"id": len(self.notes), "body": request.body["body"], "noteable_iid": int(iid)}

    def list_notes(self, request: Recorded, iid: str):
        self._auth(request, write=False)
        self._mr(iid)
        found = [body for number, body in self.notes if number == int(iid)]
        return 200, [{"id": i + 1, "body": body, "noteable_iid": int(iid), "system": False} for i, body in enumerate(found)]

    def merge(self, request: Recorded, iid: str):
        self._auth(request, write=True)
        mr = self._mr(iid)
        body = request.body or {}
        unknown = set(body) - MERGE_PARAMETERS
        if unknown:
            raise Reply(400, {"error": f"unexpected parameters {sorted(unknown)}"})
        if not (body.get("merge_when_pipeline_succeeds") or body.get("auto_merge")):
            raise Reply(400, {"error": "only merges when the pipeline succeeds are expected in these tests"})
        mr["mwps"] = True
        mr["squash"] = bool(body.get("squash"))
        return 200, self._json(mr)

    def list_users(self, request: Recorded):
        self._auth(request, write=False)
        name = request.query.get("username")
        return 200, [{"id": self.users[name], "username": name, "state": "active"}] if name in self.users else []
