"""Backups that restore: :mod:`.take` (``ivr backup``), :mod:`.restore` (``ivr restore``), what a
backup holds and its manifest of hashes (:mod:`.contents`)."""
