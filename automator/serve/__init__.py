"""``automator serve``: a webhook receiver that turns registry push events into runs.

``auth`` checks each source's credential, ``app`` is the WSGI application (verify, enqueue,
answer at once), ``queue`` coalesces events into serialised runs, ``metrics`` counts what
happened for Prometheus, and ``server`` runs the application under waitress with a draining
shutdown.
"""
