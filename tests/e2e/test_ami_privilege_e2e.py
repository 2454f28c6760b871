"""Least privilege per part, with the real Asterisk: only the callbacks' account may originate, and
what it originates goes through the dialplan's check of the number.

* The engine's events/actions account (the work-order intake, ``ivr agents``) and the console's
  are refused Originate, even of a channel straight to the carrier or the departments' trunk.
* The callbacks' account originating a number outside the dialling plan through
  ``Local/<number>@ivr-callback-out/n`` rings nothing: SIPp playing the carrier sees no INVITE.
* A number inside the plan rings the carrier, and the OriginateResponse through the Local channel
  still tells answered, busy and no answer apart (what the worker records for each try), heard on
  the engine's events connection as the worker hears it (the callbacks' login reads nothing).
"""
from __future__ import annotations

import asyncio
import time

import pytest

from e2e.asterisk_lab import CARRIER_PORT, Lab
from ivr import dialplan_variables as dv
from ivr.ami.callbacks import REASONS
from ivr.ami.client import AmiClient
from ivr.asterisk.layout import Layout
from ivr.asterisk.secrets import load as load_secrets
from ivr.asterisk.secrets import secrets_path

pytestmark = pytest.mark.asterisk


def _originate(lab: Lab, account: str, channel: str, timeout_ms: int = 8000):
    """Send an asynchronous Originate (of ``Wait(1)`` once answered) as ``account``; its replies.

    The callbacks' account logs in as the worker does (``Events: off``, reading nothing): its
    Originate's reply, then the OriginateResponse heard on the engine's events connection."""
    secrets = load_secrets(secrets_path(lab.settings.data_dir))
    user, secret = {"engine": (secrets.ami_user, secrets.ami_secret),
                    "console": (secrets.console_ami_user, secrets.console_ami_secret),
                    "callbacks": (secrets.callbacks_ami_user, secrets.callbacks_ami_secret)}[account]
    host, port, wait = lab.settings.ami_host, lab.settings.ami_port, timeout_ms / 1000 + 10
    action = {"Action": "Originate", "Channel": channel, "Application": "Wait", "Data": "1",
              "Timeout": str(timeout_ms), "Async": "true", "CallerID": '"12345" <12345>',
              "ActionID": f"ivr-callback/e2e/{time.monotonic_ns()}"}

    async def main():
        if account != "callbacks":
            async with AmiClient(host, port, user, secret, timeout=wait) as session:
                reply = await session.action(action, as_list=False)
            return [reply]
        heard = asyncio.get_running_loop().create_future()

        def response(_manager, event) -> None:
            if event.get("ActionID") == action["ActionID"] and not heard.done():
                heard.set_result(event)
        events = AmiClient(host, port, secrets.ami_user, secrets.ami_secret, timeout=wait)
        events.manager.register_event("OriginateResponse", response)
        async with events:
            async with AmiClient(host, port, user, secret, timeout=wait, events="off") as session:
                queued = await session.action(action, as_list=False)
            if str(queued.get("Response")) != "Success":
                return [queued]
            return [queued, await asyncio.wait_for(heard, wait)]

    return asyncio.run(main())


@pytest.mark.parametrize("account", ["engine", "console"])
@pytest.mark.parametrize("channel", ["PJSIP/0099123456789@carrier", "PJSIP/051380002499@departments",
                                     f"Local/13900000009@{dv.CALLBACK_OUT_CONTEXT}/n"])
def test_the_intake_and_the_console_cannot_originate(lab: Lab, account, channel):
    with lab.party("citizen", CARRIER_PORT) as carrier, lab.department_line() as department:
        [reply] = _originate(lab, account, channel)
        assert reply.get("Response") == "Error" and "permission denied" in str(reply.get("Message")).lower()
        time.sleep(1)
        assert carrier.calls() == [] and department.calls() == []


def test_a_number_outside_the_dialling_plan_rings_nothing(lab: Lab):
    messages = Layout.from_settings(lab.settings).log / "messages.log"
    with lab.party("citizen", CARRIER_PORT) as carrier:
        for number in ("0099123456789", "110", "051380002499999", "12345"):
            replies = _originate(lab, "callbacks", f"Local/{number}@{dv.CALLBACK_OUT_CONTEXT}/n")
            final = replies[-1]
            assert final.get("Event") == "OriginateResponse" and final.get("Response") == "Failure", replies
            assert REASONS.get(str(final.get("Reason"))) != "answered"
        time.sleep(1)
        assert carrier.calls() == []   # SIPp as the carrier saw no INVITE at all
    text = messages.read_text(encoding="utf-8", errors="replace")
    assert "IVR callback to 0099123456789 refused: not in the dialling plan" in text


@pytest.mark.parametrize("behaviour, outcome", [("answer_hangup", "answered"), ("busy", "busy"),
                                                ("no_answer", "no_answer")])
def test_through_the_local_channel_the_outcome_is_still_told_apart(lab: Lab, behaviour, outcome):
    with lab.party("citizen", CARRIER_PORT, behaviour=behaviour) as carrier:
        replies = _originate(lab, "callbacks", f"Local/13900000009@{dv.CALLBACK_OUT_CONTEXT}/n", timeout_ms=3000)
        final = replies[-1]
        assert final.get("Event") == "OriginateResponse", replies
        assert REASONS.get(str(final.get("Reason"))) == outcome, final
        assert [c.dialled for c in carrier.calls()][:1] == ["13900000009"]
