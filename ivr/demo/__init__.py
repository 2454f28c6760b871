"""``ivr demo``: the whole engine on this machine, a burst of citizens' calls, and the verdict.

What ``make demo`` shows a visitor, with real parts only:

1. a fresh demo folder (``var/demo``): its own Asterisk runtime, ticket database and recordings;
2. Asterisk, started with the configuration rendered from routing_rules.yaml
   (:mod:`ivr.asterisk.service`, as ``ivr asterisk up``);
3. the engine, ``ivr serve``, run as two processes: the work-order part (AMI listener and
   deadline sweeps) and the routing part (FastAGI), so that routing can be stopped midway while
   work orders go on being recorded;
4. SIPp softphones answering for every agent of the rules and for the departments' own lines;
   the agents logged in to their queues;
5. a burst of calls placed by SIPp as the carrier: every line of the inventory at least once,
   several at a time, each from its own caller number. Where each call went is read from the
   caller channel's AMI Hangup event (IVR_REACHED, IVR_ANSWERED_BY, IVR_FAILSAFE) and compared
   with what the rules say: ``decide()`` at the engine's clock;
6. the fail-safe: the routing process is killed and a few more calls are placed; they must
   still reach a 12345 agent;
7. the work orders the answered calls created, their recordings verified, and the KPI report,
   read back with the staff's own commands (``ivr tickets list``, ``ivr recordings verify``,
   ``ivr report``).

The pure part (the call plan, what each call should reach, the verdict, the table) takes the
rules and the time as arguments; :func:`run` is the adapter that starts and stops processes.
Every process started here is stopped in ``finally`` blocks, Asterisk too unless asked to keep it.
"""
from __future__ import annotations

from ivr.demo.plan import (  # noqa: F401
    CARRIER_ENDPOINT,
    DEFAULT_AT,
    DEPARTMENTS_ENDPOINT,
    FAILSAFE_MODES,
    GSM_BYTES_PER_S,
    MARKER,
    MAX_CONCURRENT,
    SOUND_MS_GUESS,
    TALK_MS,
    DemoError,
    Outcome,
    PlannedCall,
    Ports,
    call_record,
    caller_number,
    check_recordings,
    check_tickets,
    describe_expected,
    describe_reached,
    describe_target,
    dialled_form,
    expectation,
    is_ok,
    plan_burst,
    plan_failsafe,
    staffed_queues,
    unknown_number,
)
from ivr.demo.report import render_text, to_json  # noqa: F401
from ivr.demo.parts import (  # noqa: F401
    Child,
    HangupWatch,
    demo_env,
    ivr_command,
    port_open,
    prepare_folder,
    prompt_ms,
    sounds_dirs,
    udp_free,
)
from ivr.demo.runner import Burst, Options, run  # noqa: F401
