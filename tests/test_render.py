"""The Asterisk configuration rendered from the shipped rules and trunks, against golden files.

Secrets come from a fixed Secrets value, the Asterisk folders from the Debian layout and the
runtime folders from fixed paths, so the rendering is byte-stable. After an intended change,
regenerate with ``IVR_UPDATE_GOLDEN=1 pytest tests/test_render.py`` and review the diff.
"""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from support import REPO, RULES_FILE
from ivr import dialplan_variables as dv
from ivr.asterisk.install import DEBIAN_LAYOUT
from ivr.asterisk.layout import Layout
from ivr.asterisk.secrets import Secrets, load_or_create
from ivr.asterisk.phones import load_phones
from ivr.asterisk.site import load_site
from ivr.errors import AsteriskError
from ivr.asterisk.render import FILES, LIBRARY, SECRET_FILES, RenderInput, line_aliases, render, safe_text, write
from ivr.rules_file import load_rules

GOLDEN = REPO / "tests" / "golden" / "asterisk"


FIXED_SHA256 = "0" * 63 + "1"  # the rules' version, fixed so an edit of a comment changes no golden file


def _input(rules=None, site=None) -> RenderInput:
    rules = rules or dataclasses.replace(load_rules(RULES_FILE), sha256=FIXED_SHA256)
    site = site or load_site(REPO / "trunks", set(rules.agents))
    secrets = Secrets(ami_user="ivr-engine", ami_secret="TEST-AMI-SECRET",
                      agent_passwords={a: f"TEST-SECRET-{a}" for a in rules.agents},
                      console_ami_secret="TEST-AMI-SECRET-console", callbacks_ami_secret="TEST-AMI-SECRET-callbacks")
    layout = Layout(runtime=Path("/var/lib/ivr-12345/asterisk"), recordings=Path("/srv/ivr-12345/recordings"))
    return RenderInput(rules=rules, site=site, secrets=secrets, install=DEBIAN_LAYOUT, layout=layout,
                       phones=load_phones(REPO / "trunks"))


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return render(_input())


@pytest.mark.parametrize("name", FILES)
def test_rendering_matches_golden_file(rendered, name):
    golden = GOLDEN / name
    if os.environ.get("IVR_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered[name], encoding="utf-8")
    assert rendered[name] == golden.read_text(encoding="utf-8"), f"{name} differs from {golden}"


def test_every_line_of_the_rules_has_an_extension(rendered):
    rules = load_rules(RULES_FILE)
    extensions = set(re.findall(r"(?m)^exten = ([^,]+),1,", rendered["extensions.conf"]))
    assert set(rules.lines) <= extensions
    assert "_[+0-9]." in extensions  # numbers not in the rules still reach the engine / 12345


def test_every_queue_and_agent_is_rendered(rendered):
    rules = load_rules(RULES_FILE)
    queues = set(re.findall(r"(?m)^\[([a-z0-9_]+)\]$", rendered["queues.conf"])) - {"general"}
    assert queues == set(rules.queues)
    for agent in rules.agents:
        assert f"[{agent}-auth]" in rendered["pjsip_secrets.conf"]
        assert f"password = TEST-SECRET-{agent}" in rendered["pjsip_secrets.conf"]
        assert "TEST-SECRET" not in rendered["pjsip.conf"]


def test_secrets_live_only_in_the_secret_files(rendered):
    for name, text in rendered.items():
        if name not in SECRET_FILES:
            assert "TEST-AMI-SECRET" not in text and "TEST-SECRET-" not in text, name


def _account(text: str, name: str) -> dict[str, str]:
    body = text.split(f"\n[{name}]\n", 1)[1].split("\n\n", 1)[0]
    found = dict(line.split(" = ", 1) for line in body.splitlines()
                 if " = " in line and not line.startswith(("; ", "eventfilter")))
    found["eventfilter"] = ",".join(re.findall(r"(?m)^eventfilter\(action\(include\),name\((\w+)\)\) =$", body))
    return found


def test_only_the_callbacks_account_may_originate(rendered):
    text = rendered["manager_secrets.conf"]
    engine, console, callbacks = (_account(text, n) for n in ("ivr-engine", "ivr-console", "ivr-callbacks"))
    # user: the dialplan's UserEvent with the citizen's rating; reading it only (no write "user":
    # the engine's own account could not forge one either)
    assert (engine["read"], engine["write"]) == ("call,agent,user", "agent,reporting")
    assert (console["read"], console["write"]) == ("agent,user", "agent,reporting")
    # originate and nothing else, reading nothing (its calls' OriginateResponse reaches the worker on
    # the engine's events connection, which reads what every part of the engine reads)
    assert (callbacks["read"], callbacks["write"]) == ("none", "originate")
    assert "OriginateResponse" in engine["eventfilter"] and "QueueMemberPause" in engine["eventfilter"]
    assert len({a["secret"] for a in (engine, console, callbacks)}) == 3
    for account in (engine, console, callbacks):
        assert (account["deny"], account["permit"]) == ("0.0.0.0/0.0.0.0", "127.0.0.1/255.255.255.255")
    # the comments say what originate allows and what no class guards
    assert "cannot\n;   limit the channel or the number dialled" in text and "BridgeKick" in text
    assert "bindaddr = 127.0.0.1" in rendered["manager.conf"]


def test_callbacks_dial_only_the_dialling_plan(rendered):
    from ivr.core.callbacks import dialling_plan

    text = rendered["extensions.conf"]
    block = text.split(f"[{dv.CALLBACK_PLAN_CONTEXT}]\n", 1)[1].split("\n\n", 1)[0]
    patterns = re.findall(r"(?m)^exten = ([^,]+),1,Hangup\(\)$", block)
    assert patterns == [form.pattern for form in dialling_plan("0513")] == ["_1[3456789]XXXXXXXXX", "_0513[2345678]XXXXXXX"]
    out = (REPO / "dialplan" / "callback.conf").read_text(encoding="utf-8")
    assert f"[{dv.CALLBACK_OUT_CONTEXT}]" in out and f"DIALPLAN_EXISTS({dv.CALLBACK_PLAN_CONTEXT}," in out


def _dialplan_texts() -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in (REPO / "dialplan").glob("*.conf")}
    return texts


def test_library_files_are_all_included(rendered):
    assert sorted(_dialplan_texts()) == sorted(LIBRARY)
    for name in LIBRARY:
        assert f'#include "dialplan/{name}"' in rendered["extensions.conf"]


def test_dialplan_uses_only_declared_variable_names(rendered):
    declared = {v for k, v in vars(dv).items() if k.isupper() and isinstance(v, str)}
    texts = list(_dialplan_texts().values()) + [rendered["extensions.conf"]]
    used = set()
    for text in texts:
        used |= set(re.findall(r"\bIVR_[A-Z_]+\b", text))
    assert used - declared == set()


def test_contexts_jumped_to_exist():
    texts = "\n".join(_dialplan_texts().values())
    defined = set(re.findall(r"(?m)^\[([a-z\-]+)\]", texts)) | {"ivr-lines"}
    targets = set(re.findall(r"(?:Goto|Gosub|GotoIf\([^?]*\?)\(?(ivr-[a-z\-]+),", texts))
    targets |= set(re.findall(r"[?:](ivr-[a-z\-]+),s,1", texts))
    assert targets and targets <= defined


@pytest.mark.parametrize("raw, expected", [
    ("县妇联", "县妇联"),
    ("Women's Federation", "Women s Federation"),
    ("x;y", "x y"),                                   # a .conf comment
    ("a,b)Hangup(", "a b Hangup"),                    # application arguments
    ("${SHELL(rm -rf /)}", "SHELL rm -rf"),           # dialplan expressions and functions
    ("$[1+1]", "1 1"),
    ("line\nexten = 1,1,Dial(x)", "line exten 1 1 Dial x"),
    ("#include \"/etc/passwd\"", "include etc passwd"),
    ("  many   spaces ", "many spaces"),
    ("住房和城乡建设局（试行）", "住房和城乡建设局（试行）"),
])
def test_safe_text_neutralises_hostile_names(raw, expected):
    assert safe_text(raw) == expected


def test_hostile_department_name_cannot_change_the_dialplan():
    rules = load_rules(RULES_FILE)
    evil = dataclasses.replace(rules.departments["transport"],
                               name_zh='交通")\n same = n,System(reboot)\n;${SHELL(id)}')
    rules = dataclasses.replace(rules, departments={**rules.departments, "transport": evil})
    text = render(_input(rules=rules))["extensions.conf"]
    assert "System(" not in text and "${SHELL" not in text
    assert " same = n,Set(IVR_DEPARTMENT_NAME=交通 same n System reboot SHELL id)\n" in text
    assert len(text.splitlines()) == len(render(_input())["extensions.conf"].splitlines())


@pytest.mark.parametrize("number, aliases", [
    ("051380000101", ["80000101", "+8651380000101", "008651380000101"]),
    ("12345", []),
    ("0513", []),
])
def test_line_aliases(number, aliases):
    assert line_aliases(number, "0513") == aliases


def test_write_makes_secret_files_private_and_copies_the_library(tmp_path):
    written = write(render(_input()), tmp_path / "etc")
    assert {p.name for p in written} >= set(FILES) | set(LIBRARY)
    for name in SECRET_FILES:
        assert (tmp_path / "etc" / name).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "etc" / "dialplan" / "incoming.conf").read_text() == \
        (REPO / "dialplan" / "incoming.conf").read_text()


def test_secrets_are_generated_once_and_kept(tmp_path):
    path = tmp_path / "secrets" / "asterisk.json"
    counter = iter(range(100))
    first = load_or_create(path, ["agent1", "agent2"], token=lambda: f"s{next(counter)}")
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    again = load_or_create(path, ["agent1", "agent2", "agent3"], token=lambda: f"s{next(counter)}")
    assert again.ami_secret == first.ami_secret and again.console_ami_secret == first.console_ami_secret
    assert first.console_ami_secret not in (first.ami_secret, "")
    assert again.agent_passwords["agent1"] == first.agent_passwords["agent1"]
    assert again.agent_passwords["agent3"] not in first.agent_passwords.values()
    trimmed = load_or_create(path, ["agent3"], token=lambda: f"s{next(counter)}")
    assert set(trimmed.agent_passwords) == {"agent3"}


@pytest.mark.parametrize("name, text, expected", [
    ("carrier.yaml", "carrier:\n  match: [not-an-ip]\n", "carrier.yaml:2: carrier.match.0: 'not-an-ip' is not an IP"),
    ("carrier.yaml", "carrier:\n  match: [127.0.0.1]\n  codecs: [mp3]\n", "carrier.yaml:3: carrier.codecs.0: unknown codec 'mp3'"),
    ("departments.yaml", "departments:\n  contact: http://x\n", "departments.yaml:2: departments.contact: 'http://x' is not a SIP contact"),
    ("lab.yaml", "sip:\n  port: 99999\n", "lab.yaml:2: sip.port: '99999' is not a port number"),
    ("lab.yaml", "agents:\n  agent99: sip:agent99@127.0.0.1:5199\n", "lab.yaml:2: agents.agent99: no agent 'agent99'"),
    ("lab.yaml", "sip: [\n", "lab.yaml:2: YAML syntax error"),
    ("lab.yaml", "sip:\n  port: 5060\n  port: 5061\n", "lab.yaml:3: sip.port: duplicate key"),
])
def test_bad_trunk_files_are_reported_with_file_line_and_field(tmp_path, name, text, expected):
    for f in ("carrier.yaml", "departments.yaml", "lab.yaml"):
        (tmp_path / f).write_text((REPO / "trunks" / f).read_text())
    (tmp_path / name).write_text(text)
    with pytest.raises(AsteriskError) as err:
        load_site(tmp_path, {f"agent{i}" for i in range(1, 9)})
    assert expected in str(err.value)


# Every global the dialplan reads, rendered on every reload (clearglobalvars = no sets each in place).
GLOBALS = (dv.AGI, dv.AGI_TIMEOUT, dv.GENERAL_QUEUE, dv.FAILSAFE_PROMPTS, dv.RATING_PROMPTS, dv.RATING_THANKS,
           dv.RECORDINGS, dv.TIMEZONE, dv.RECORDING_FORMAT, dv.RULES_SHA256)


def _globals(text: str) -> dict[str, str]:
    block = text.split("[globals]\n", 1)[1].split("\n\n", 1)[0]
    return dict(line.split(" = ", 1) if " = " in line else (line.rstrip(" ="), "")
                for line in block.splitlines() if line and not line.startswith(";"))


def test_a_reload_sets_globals_in_place_and_none_outlives_the_rules(rendered):
    # cleared, every global would be empty while pbx_config reads the files (calls went to the fail-safe)
    assert "\nclearglobalvars = no\n" in rendered["extensions.conf"]
    assert set(_globals(rendered["extensions.conf"])) == set(GLOBALS)
    # the rules drop the rating prompts: the global is still written, empty, so the old value goes
    rules = dataclasses.replace(load_rules(RULES_FILE), sha256=FIXED_SHA256)
    prompts = {k: v for k, v in rules.prompts.items() if k not in ("rating_request", "rating_thanks")}
    text = render(_input(dataclasses.replace(rules, prompts=prompts)))["extensions.conf"]
    found = _globals(text)
    assert set(found) == set(GLOBALS) and found[dv.RATING_PROMPTS] == "" and found[dv.RATING_THANKS] == ""
    assert f"\n{dv.RATING_PROMPTS} = \n" in text


def test_asterisk_sends_only_what_the_project_reads(rendered):
    from ivr.asterisk import ami_events

    consumed = ami_events.consumed()
    declined = {event for d in ami_events.DECLINED.values() for event in d.ami}
    assert not consumed & declined and not consumed & set(ami_events.DISABLED_EVENTS)
    assert not declined & set(ami_events.DISABLED_EVENTS)   # a declined type's event is never made anyway
    stasis = rendered["stasis.conf"]
    assert re.findall(r"(?m)^decline = (\w+)$", stasis) == list(ami_events.DECLINED)
    for kept in ("ast_channel_snapshot_type", "ast_security_event_type", "ast_blind_transfer_type",
                 "ast_local_optimization_begin_type", "queue_agent_connect_type", "ast_channel_dial_type",
                 *ami_events.NOT_DECLINABLE):
        # app_queue, res_security_log (fail2ban), transfers and the intake need the first; the
        # manager's own router would refuse to start without the others
        assert kept not in stasis
    disabled = re.search(r"(?m)^disabledevents = (.+)$", rendered["manager.conf"]).group(1).split(",")
    assert disabled == list(ami_events.DISABLED_EVENTS) and "Newexten" in disabled
