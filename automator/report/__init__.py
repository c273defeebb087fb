"""Renderings of a plan: ``text`` (terminal tables), ``json`` (machine-readable), ``markdown``
(PR bodies, job summaries), ``workflow`` (GitHub workflow commands and outputs), ``dotenv``
(GitLab dotenv reports) and ``records`` (the plain data behind outputs)."""
