"""Write-back strategies: how the updates of a plan reach the environment repository.

One table, as for policies (``POLICIES``) and locators (``LOCATORS``): :data:`WRITERS` maps a
strategy's name to its class. A strategy has two methods:

* ``tree()`` — a context manager giving ``(root, scan_path)``, the tree a plan is made on when
  the strategy leads the run (the checkout; the checkout locked and moved to the fresh head of
  its target for a commit; a temporary worktree at the fresh base for pull requests);
* ``check(job, plan)`` — refuse, before anything of the run is written, a part it could not
  write (a usage error naming why: pull requests under ``--no-push``);
* ``write(plan) -> outcome`` — write the part of the plan routed to it and say what happened
  (an outcome of :mod:`automator.result`).

The routing of updates to strategies is pure (:func:`automator.rules.write.route`), and
:func:`automator.writeback.run.run_once` is the straight sequence: plan, route, write each
part, return one :class:`automator.result.RunResult`. A new strategy is one module here and
one row in :data:`WRITERS`. Like the other plugin tables it imports a strategy when first
asked for it, so a run that only commits never loads the pull-request machinery.
"""

from __future__ import annotations

from automator.plugins import LazyTable

WRITERS: LazyTable[type] = LazyTable({
    "preview": "automator.writeback.preview:PreviewWriter",  # --dry-run: nothing written, the commit message shown
    "commit": "automator.writeback.commit:CommitWriter",  # one commit, pushed with rebase-retry (default; rules: write: commit)
    "pr": "automator.writeback.pull_requests:PullRequestWriter",  # one pull/merge request per change set (--pr; rules: write: pr)
})
