"""The benchmark: what the engine costs each call, measured against a static dialplan.

Pure parts (unit-tested): :mod:`.stats` (SIPp files to numbers, percentiles), :mod:`.ramp`
(turn order, highest sustained rate), :mod:`.surge` (each caller's path through the queues),
:mod:`.report` (JSON document, table). Adapters: :mod:`.lab` (Asterisk, engine, SIPp agents on
the benchmark's own ports), :mod:`.load` (one SIPp load step), :mod:`.runner` (the whole run).
"""
