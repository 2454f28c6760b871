"""ivr: the telephony engine of a county's 12345 public-service hotline.

The pure core (:mod:`ivr.core`) holds the rules, the routing decision, the work-order
process and the KPI arithmetic; it takes the time as an argument and does no I/O.
Everything else is a thin adapter around it: FastAGI and AGI scripts, the AMI listener,
the SQL store, the scheduler, the Asterisk configuration renderer and the CLI.
"""

__version__ = "0.1.0"
