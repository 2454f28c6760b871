"""The typed contract between Python and the dialplan: channel variable names.

Python sets these; the ``.conf`` files in ``dialplan/`` read them and do the media. Each name is
the Decision field of the same name, upper-cased with the ``IVR_`` prefix, so one thing keeps one
name in YAML, Python and dialplan.
"""
from __future__ import annotations

from typing import Final

ACTION: Final = "IVR_ACTION"
LINE: Final = "IVR_LINE"
MODE: Final = "IVR_MODE"
DEPARTMENT: Final = "IVR_DEPARTMENT"
DEPARTMENT_NAME: Final = "IVR_DEPARTMENT_NAME"
PROMPTS: Final = "IVR_PROMPTS"              # '&'-joined, ready for Playback()
QUEUE: Final = "IVR_QUEUE"
OVERFLOW_AFTER: Final = "IVR_OVERFLOW_AFTER"
OVERFLOW_QUEUE: Final = "IVR_OVERFLOW_QUEUE"
DESTINATION: Final = "IVR_DESTINATION"
DIAL_TIMEOUT: Final = "IVR_DIAL_TIMEOUT"
FALLBACK_QUEUE: Final = "IVR_FALLBACK_QUEUE"
NOTICE: Final = "IVR_NOTICE"                # incident notice's sound, played before queueing
CALLBACK: Final = "IVR_CALLBACK"            # on a callback's own call: the request's id

# Set by the dialplan, read back by Python (AMI listener, rating script).
REACHED: Final = "IVR_REACHED"   # which party answered: "queue:<name>" or "dial:<destination>"
RATING: Final = "IVR_RATING"
RECORDING: Final = "IVR_RECORDING"  # path of the MixMonitor file started when the agent answers

DECISION_FIELDS: Final = {
    "action": ACTION,
    "line": LINE,
    "mode": MODE,
    "department": DEPARTMENT,
    "department_name": DEPARTMENT_NAME,
    "prompts": PROMPTS,
    "queue": QUEUE,
    "overflow_after": OVERFLOW_AFTER,
    "overflow_queue": OVERFLOW_QUEUE,
    "destination": DESTINATION,
    "dial_timeout": DIAL_TIMEOUT,
    "fallback_queue": FALLBACK_QUEUE,
}


def decision_variables(decision) -> dict[str, str]:
    """The channel variables that carry ``decision`` to the dialplan (empty string for None)."""
    out: dict[str, str] = {}
    for name, var in DECISION_FIELDS.items():
        value = getattr(decision, name)
        if name == "prompts":
            value = "&".join(value)
        elif value is None:
            value = ""
        out[var] = str(value)
    # only when one plays (the dialplan clears it before routing): a call without a notice sends
    # exactly what it sent before notices existed
    if getattr(decision, "notice", ""):
        out[NOTICE] = decision.notice
    return out

# Set by the dialplan on the caller's channel when a party answers (dialplan/answered.conf).
ANSWERED_BY: Final = "IVR_ANSWERED_BY"  # the answering PJSIP endpoint: an agent id, or "departments"
FAILSAFE: Final = "IVR_FAILSAFE"        # "1" when the call went through the fail-safe (dialplan/failsafe.conf)
RETRIED: Final = "IVR_RETRIED"          # internal to dialplan/queue.conf: the general queue was retried once
RECORDING_BASE: Final = "IVR_RECORDING_BASE"  # internal to dialplan/answered.conf: the path without its extension

# Globals rendered into extensions.conf by ivr/asterisk/render.py (the same on every channel).
AGI: Final = "IVR_AGI"                          # host:port of the FastAGI server
GENERAL_QUEUE: Final = "IVR_GENERAL_QUEUE"      # rules.centre.general_queue, the fail-safe's queue
FAILSAFE_PROMPTS: Final = "IVR_FAILSAFE_PROMPTS"  # rules.prompts.greeting, played by the fail-safe
RATING_PROMPTS: Final = "IVR_RATING_PROMPTS"    # rules.prompts.rating_request
RATING_THANKS: Final = "IVR_RATING_THANKS"      # rules.prompts.rating_thanks
RECORDINGS: Final = "IVR_RECORDINGS"            # Settings.recordings_dir (same path inside the sid root)
TIMEZONE: Final = "IVR_TIMEZONE"                # the centre's timezone: recordings' YYYY/MM/DD folders
RECORDING_FORMAT: Final = "IVR_RECORDING_FORMAT"  # Settings.recording_format: the recordings' file extension
RULES_SHA256: Final = "IVR_RULES_SHA256"        # the rules version rendered: read back to prove a reload

AGI_TIMEOUT: Final = "IVR_AGI_TIMEOUT"          # seconds a FastAGI step may take before the fail-safe

# Set on every channel of an agent's endpoint (pjsip.conf set_var; dialplan/agent.conf reads them).
AGENT_QUEUES: Final = "IVR_AGENT_QUEUES"        # '&'-joined queues the agent logs in to (feature code)
TRANSFER_CONTEXT: Final = "TRANSFER_CONTEXT"    # Asterisk's own: where an agent's transfers are dialled
DEPARTMENT_LINES_CONTEXT: Final = "ivr-department-lines"  # the departments' own lines (rendered)

# Channel variables every AMI event about a channel carries (manager.conf channelvars).
AMI_CHANNEL_VARIABLES: Final = (LINE, MODE, DEPARTMENT, QUEUE, REACHED, ANSWERED_BY, RECORDING, FAILSAFE,
                                 DESTINATION, NOTICE, CALLBACK)

# The dialplan's own AMI event (UserEvent) carrying the citizen's rating on the caller's channel
# (dialplan/rating.conf), and the queue-log event with the same rating for a resync.
RATING_EVENT: Final = "IvrRating"
RATING_QUEUE_LOG: Final = "IVRRATE"

# Surges (dialplan/callback.conf, notice.conf): the caller's choices travel the same way as the
# rating, a UserEvent on the caller's channel plus a queue-log line for a resync.
CALLBACK_EVENT: Final = "IvrCallback"
CALLBACK_QUEUE_LOG: Final = "IVRCALLBACK"
LEFT_INFORMED_EVENT: Final = "IvrLeftInformed"
LEFT_INFORMED_QUEUE_LOG: Final = "IVRLEFT"
CALLBACK_NUMBER: Final = "IVR_CALLBACK_NUMBER"  # the citizen's number, shown to the agent
# The queue's door (dialplan/queue.conf [ivr-queue-door]): every caller routed to a queue passes it
# once, before anything they hear there (greeting, notice, callback offer), and is counted offered
# from this line (UserEvent + queue-log line, like the rating). The door pushes a hangup handler
# that says where the caller was when they hung up (IVR_STAGE: greeting, notice, offer, queue).
DOOR_EVENT: Final = "IvrDoor"
DOOR_QUEUE_LOG: Final = "IVRDOOR"
HUNG_UP_EVENT: Final = "IvrHungUp"
HUNG_UP_QUEUE_LOG: Final = "IVRHUNGUP"
DOOR: Final = "IVR_DOOR"                    # internal to queue.conf: "1" once the caller passed the door
STAGE: Final = "IVR_STAGE"                  # where the caller is: greeting, notice, offer, queue
# The callback check (FastAGI ``callback_check``, dialplan/callback.conf): what the caller is told
# on asking for a callback (ivr.core.callbacks.Verdict), and the queue position kept for a caller
# who pressed 2 while queued and stays in the queue.
CALLBACK_VERDICT: Final = "IVR_CALLBACK_VERDICT"
# Asterisk's own record of each call that reaches the routing step (dialplan/incoming.conf, a
# queue-log line written before the engine is asked: line|caller): the call log's lines feed the
# impact preview only once joined to it (ivr.lifecycle.ingest), so a forged FastAGI session cannot.
CALL_QUEUE_LOG: Final = "IVRCALL"
# Each leg's RTP figures as it hangs up (dialplan/media.conf): a queue-log line only, never an AMI
# event; the engine reads it after the call (ivr.ami.media_lines): side|CHANNEL(rtcp,all,audio)
MEDIA_QUEUE_LOG: Final = "IVRMEDIA"
QUEUE_POSITION: Final = "IVR_QUEUE_POSITION"
CALLBACK_VIA: Final = "IVR_CALLBACK_VIA"    # internal to callback.conf: queue_key, notice_key or wait_offer
NOTICE_KEY: Final = "IVR_NOTICE_KEY"        # internal to notice.conf: the key pressed after the notice
QUEUE_KEYS_CONTEXT: Final = "ivr-queue-keys"    # queues.conf `context`: one key leaves the queue
# The callbacks' only way out (dialplan/callback.conf): the worker originates
# Local/<number>@ivr-callback-out/n, which dials the carrier only for a number that matches the
# dialling plan rendered into ivr-callback-plan (ivr.core.callbacks.dialling_plan).
CALLBACK_OUT_CONTEXT: Final = "ivr-callback-out"
CALLBACK_PLAN_CONTEXT: Final = "ivr-callback-plan"
# The callback offer on a long expected wait (dialplan/callback.conf [ivr-callback-offer]): one
# extension per queue that sets it (rendered from routing_rules.yaml's queues into
# extensions.conf), read when a caller first joins a queue. The offer is the dialplan's, so it
# holds with the engine away too; the threshold and the unit are the rules'.
QUEUE_SETTINGS_CONTEXT: Final = "ivr-queue-settings"
CALLBACK_OFFER_AFTER: Final = "IVR_CALLBACK_OFFER_AFTER"  # the queue's callback_offer_after (seconds)
HANDLE_TIME: Final = "IVR_HANDLE_TIME"          # the queue's handle_time (seconds per call)
EXPECTED_WAIT: Final = "IVR_EXPECTED_WAIT"      # seconds, as the dialplan estimated it on joining
SETTINGS_OF: Final = "IVR_SETTINGS_OF"          # internal to queue.conf: the queue whose settings are read
QUEUE_WAITING: Final = "IVR_QUEUE_WAITING"      # internal to the offer: callers waiting in the queue
QUEUE_READY: Final = "IVR_QUEUE_READY"          # internal to the offer: agents ready to answer now
QUEUE_LOGGED_IN: Final = "IVR_QUEUE_LOGGED_IN"  # internal to the offer: agents logged in to the queue
OFFER_KEY: Final = "IVR_OFFER_KEY"              # internal to the offer: the key pressed
CALLBACK_OFFERED: Final = "IVR_CALLBACK_OFFERED"  # internal: "notice" or "wait" once a callback was offered

# The only AMI events sent to the engine's account (manager_secrets.conf eventfilter, by name;
# ivr/asterisk/ami_events.py): those the listener acts on. Everything else (Newexten, VarSet, ... dozens per call) would cost the event
# loop, which also answers FastAGI, parsing time for nothing.
AMI_EVENTS: Final = ("QueueCallerJoin", "AgentConnect", "QueueCallerAbandon", "DialEnd", "Hangup", "UserEvent",
                     "BlindTransfer", "AttendedTransfer", "OriginateResponse", "AgentComplete")

# The staff console's AMI account gets only the queue events that say where agents and waiting
# callers are (ivr.core.presence_events): membership, pause, ringing, talking, callers waiting, and
# the dialplan's UserEvents that say a caller reached a queue's door or is gone before joining it.
CONSOLE_AMI_EVENTS: Final = ("QueueMemberAdded", "QueueMemberStatus", "QueueMemberPause", "QueueMemberRemoved",
                             "AgentCalled", "AgentRingNoAnswer", "AgentConnect", "AgentComplete",
                             "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "UserEvent")
