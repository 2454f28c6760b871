"""The pure core: rules, routing decision, work-order process, KPI arithmetic.

Nothing here reads the clock, a file, a socket or a database: callers pass the time in.
"""
