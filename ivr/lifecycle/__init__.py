"""The admin's lifecycle of routing_rules.yaml: versions, semantic diff, impact preview, apply to
every part at once, roll back, and the audit trail of each step.

    candidate    check a text as apply will (the rules, then the prompts for this Asterisk)
    apply        record, replace and bring every part, or refuse and change nothing (Lifecycle)
    asterisk_part  Asterisk follows: render, targeted reloads, agents' queues, verification
    parts        the version each running part holds (status files)
    preview      replay the calls the engine routed under both rule sets
    ingest       the call log from disk into the database
    recorder     a hand edit found in force recorded as a version, "edited on disk"
    admin        what the command line and the console open: the lifecycle on a database

The pure parts are in the core (:mod:`ivr.core.rules_diff`, :mod:`ivr.core.replay`); the storage in
:mod:`ivr.store.rules_versions` and :mod:`ivr.store.routed_calls`. The command line
(``ivr rules ...``) and the console's admin page both go through :func:`ivr.lifecycle.admin.open_admin`.
"""
