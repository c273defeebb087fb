"""``automator fleet``: many environment repositories from one command.

``spec`` reads the fleet file (file:line errors), ``discover`` adds repositories found on a
forge by topic, ``shard`` picks this worker's share (rendezvous hashing, scheduler indexes),
``shared`` lists each image repository once for every environment repository of the process,
and ``runner`` clones, plans, writes and cleans up each environment repository.
"""
