"""What Asterisk sends, and to whom: the AMI accounts, the messages never made, the events never built.

Asterisk's manager costs every call: each AMI event is built once, then for every logged-in
session the manager thread wakes that session, whatever its filters (main/manager.c up to 22.10);
its router (``stasis/m:manager:core``) has a high-water mark of 3,000, past which PJSIP ignores
new UDP requests. So, cheapest first, each rendered from here:

1. ``stasis.conf [declined_message_types]`` (:data:`DECLINED`): a declined message type is never
   created (``stasis_message_type_create`` returns DECLINED and every publisher checks for it), for
   every consumer. Each one below was checked in Asterisk 22.10's source for who subscribes to it
   among the modules this project loads (``modules.conf``): only the manager (an AMI event the
   project does not read) or a module not loaded. Read at start only: ``ivr asterisk up``. Some
   candidates cannot be declined at all (:data:`NOT_DECLINABLE`: the manager would not start).
2. ``manager.conf disabledevents`` (:data:`DISABLED_EVENTS`): events still made for the other
   consumers (CDR, app_queue, res_pjsip...), but whose AMI form nobody here reads: never built.
3. Per account (:data:`ACCOUNTS`): the narrowest read classes and an event filter by name
   (``eventfilter(action(include),name(...))``, hashed by Asterisk, no regular expression).

What the project reads, and must keep arriving (tests/e2e/test_ami_events_e2e.py): the intake's
``dialplan_variables.AMI_EVENTS``, the console's ``CONSOLE_AMI_EVENTS`` and the callbacks'
OriginateResponse, all on the engine's one events connection; channel variables reach them through ``manager.conf channelvars`` (every
event about a channel carries them: the snapshot, not the declined VarSet message).
"""
from __future__ import annotations

from dataclasses import dataclass

from ivr import dialplan_variables as dv

@dataclass(frozen=True)
class Declined:
    """A message type declined: the AMI events it would have become, and its other consumers."""

    ami: tuple[str, ...]
    others: str = "none among the modules loaded here"


DECLINED: dict[str, Declined] = {
    # channelvars (every event's ChanVariable) come from the channel snapshot, still published
    # on every Set() of such a variable (main/stasis_channels.c ast_channel_publish_varset)
    "ast_channel_varset_type": Declined(("VarSet",)),
    "ast_rtp_rtcp_sent_type": Declined(("RTCPSent",), "res_hep_rtcp (not loaded)"),
    "ast_rtp_rtcp_received_type": Declined(("RTCPReceived",), "res_hep_rtcp (not loaded)"),
    "agi_exec_start_type": Declined(("AGIExecStart",)),
    "agi_exec_end_type": Declined(("AGIExecEnd",)),
    "agi_async_start_type": Declined(("AsyncAGIStart",), "none: FastAGI here, never async AGI"),
    "agi_async_exec_type": Declined(("AsyncAGIExec",)),
    "agi_async_end_type": Declined(("AsyncAGIEnd",)),
    # main/cel.c routes it only when CEL is enabled: enabling CEL means removing this line first
    # (a router added for a declined type fails, and CEL's failure stops Asterisk)
    "cel_generic_type": Declined(("CEL",), "CEL, disabled here (cel.conf enable = no)"),
}

# Candidates that cannot be declined, though nothing here reads them: main/manager_channels.c
# adds a route for each to the manager's router at start, a route for a declined (NULL) type
# fails, and the manager, then Asterisk, refuses to start. Their AMI events are disabled instead.
NOT_DECLINABLE: dict[str, tuple[str, ...]] = {
    "ast_channel_dtmf_begin_type": ("DTMFBegin",),
    "ast_channel_dtmf_end_type": ("DTMFEnd",),
    "ast_channel_moh_start_type": ("MusicOnHoldStart",),
    "ast_channel_moh_stop_type": ("MusicOnHoldStop",),
    "ast_channel_hangup_handler_type": ("HangupHandlerRun", "HangupHandlerPush", "HangupHandlerPop"),
    "ast_channel_mixmonitor_start_type": ("MixMonitorStart",),
    "ast_channel_mixmonitor_stop_type": ("MixMonitorStop",),
    "ast_channel_mixmonitor_mute_type": ("MixMonitorMute",),
    "ast_channel_hold_type": ("Hold",),
    "ast_channel_unhold_type": ("Unhold",),
}

# AMI events still made (their messages feed CDR, app_queue, res_pjsip...) that nobody here reads
DISABLED_EVENTS: tuple[str, ...] = (
    "Newchannel", "Newstate", "Newexten", "NewCallerid", "NewConnectedLine", "NewAccountCode", "Rename",
    "DialBegin", "DialState", "HangupRequest", "SoftHangupRequest",
    "BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy", "BridgeMerge",
    "LocalBridge", "LocalOptimizationBegin", "LocalOptimizationEnd",
    "DeviceStateChange", "ExtensionStatus", "PresenceStateChange", "ContactStatus", "PeerStatus",
    "QueueMemberPenalty", "QueueMemberRinginuse", "AgentDump",
    # security events' AMI form (fail2ban reads res_security_log's security.log, not AMI)
    "SuccessfulAuth", "ChallengeSent",
    # keys reach the dialplan, the in-call features and app_queue as frames, not as these events;
    # app_mixmonitor publishes its messages and reads none
    *(event for events in NOT_DECLINABLE.values() for event in events),
)


@dataclass(frozen=True)
class Account:
    """An AMI account's classes and the events its filter lets through (manager_secrets.conf)."""

    read: tuple[str, ...]
    write: tuple[str, ...]
    events: tuple[str, ...]


# The engine's events and actions: call, agent and user (the dialplan's UserEvents) events;
# queue membership (agent) and the read-only queries its resync needs (reporting: CoreShowChannels,
# Getvar). No originate. The one events connection per Asterisk (ivr.ami.client) logs in here and
# fans its events out to the intake, the console's presence and wallboard, and the callbacks worker
# (a callback's OriginateResponse): the union of what they read.
ENGINE = Account(read=("call", "agent", "user"), write=("agent", "reporting"),
                 events=tuple(dict.fromkeys(dv.AMI_EVENTS + dv.CONSOLE_AMI_EVENTS)))
# The staff console's own, for ``ivr web`` run apart from the engine (agents' states, queue login
# and pause): ivr.ami.presence; user: the dialplan's UserEvents that say a caller waits at a
# queue's door (the wallboard counts them).
CONSOLE = Account(read=("agent", "user"), write=("agent", "reporting"), events=dv.CONSOLE_AMI_EVENTS)
# The callbacks' (ivr.ami.callbacks): Originate only, on a login that lasts one Originate and asks
# for no events (Events: off); how the call ended (OriginateResponse) reaches the worker on the
# engine's events connection.
CALLBACKS = Account(read=(), write=("originate",), events=())


def consumed() -> frozenset[str]:
    """Every AMI event some part of the project reads."""
    return frozenset(ENGINE.events + CONSOLE.events + CALLBACKS.events)
