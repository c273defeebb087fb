"""Push events: images that were just pushed, as the input of a run.

``pushed`` parses ``registry/repository:tag[@digest]`` references (``--pushed``);
``payloads`` reads them from registry and forge webhook payloads (``--event``, ``serve``);
``source`` is the tag source of an event-driven run: the current tags and the pushed ones,
without listing the registry.
"""
