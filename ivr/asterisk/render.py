"""The Asterisk configuration, rendered from routing_rules.yaml and trunks/ with Jinja2.

:func:`render` is a pure function of its inputs (rules, site, secrets, the Asterisk's folders,
the runtime layout): same inputs, same text, which the golden tests pin down. :func:`write` puts
the files in place with the secret ones 0600, next to a copy of the hand-written library
contexts of ``dialplan/`` that ``extensions.conf`` includes.

Text from the rules file (department and line names) reaches the dialplan and comments: it is
treated as hostile, and only letters, digits, spaces and a few harmless marks get through.
Identifiers (queue, agent ids, numbers) were validated by the rules checker; they are checked
again here because a bad one would change the configuration's meaning.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ivr import dialplan_variables as dv
from ivr.asterisk import ami_events
from ivr.asterisk.install import Install
from ivr.asterisk.layout import Layout
from ivr.asterisk.phones import (CONSOLE_RELAY, RELAY_HOST, Phones, contact_host, identity_problems,
                                 permitted_sources)
from ivr.asterisk.secrets import Secrets, write_private
from ivr.asterisk.site import Site
from ivr.core import agent_phone
from ivr.core.callbacks import dialling_plan
from ivr.core.decision import Mode
from ivr.core.rules import Rules
from ivr.core.text import printable
from ivr.errors import AsteriskError
from ivr.settings import REPO_ROOT

DIALPLAN_DIR = REPO_ROOT / "dialplan"
TEMPLATES = "templates/asterisk"
BANNER = "Rendered by `ivr render` from routing_rules.yaml and trunks/: edit those, not this file."

# Files of the rendering, in order; the secret ones are written 0600.
FILES = ("asterisk.conf", "modules.conf", "logger.conf", "pjsip.conf", "pjsip_secrets.conf",
         "queues.conf", "manager.conf", "manager_secrets.conf", "extensions.conf", "rtp.conf",
         "musiconhold.conf", "indications.conf", "features.conf", "cdr.conf", "cel.conf",
         "ccss.conf", "stasis.conf", "acl.conf", "udptl.conf", "pjproject.conf", "http.conf")
SECRET_FILES = frozenset({"pjsip_secrets.conf", "manager_secrets.conf"})

# The library contexts of dialplan/, included by extensions.conf in this order.
LIBRARY = ("incoming.conf", "failsafe.conf", "prompts.conf", "queue.conf", "dial.conf",
           "prompt_only.conf", "answered.conf", "rating.conf", "reject.conf", "agent.conf",
           "notice.conf", "callback.conf", "media.conf")

# What the engine loads; everything else stays out (modules.conf has autoload = no).
MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("configuration, dialplan and AMI", ("res_sorcery_config.so", "res_sorcery_memory.so",
                                         "res_sorcery_astdb.so", "pbx_config.so", "res_agi.so",
                                         "res_speech.so", "res_timing_timerfd.so",
                                         "res_security_log.so")),
    ("SIP (PJSIP)", ("res_pjproject.so", "res_pjsip.so", "res_pjsip_session.so", "res_pjsip_pubsub.so",
                     "chan_pjsip.so",
                     "res_pjsip_endpoint_identifier_ip.so", "res_pjsip_endpoint_identifier_user.so",
                     "res_pjsip_authenticator_digest.so", "res_pjsip_registrar.so",
                     "res_pjsip_sdp_rtp.so", "res_pjsip_caller_id.so", "res_pjsip_dtmf_info.so",
                     "res_pjsip_rfc3326.so", "res_pjsip_nat.so", "res_pjsip_acl.so",
                     "res_pjsip_diversion.so", "func_pjsip_endpoint.so", "res_rtp_asterisk.so",
                     "res_pjsip_refer.so", "res_srtp.so",
                     "res_http_websocket.so", "res_pjsip_transport_websocket.so")),
    ("applications", ("app_dial.so", "app_queue.so", "app_playback.so", "app_read.so",
                      "app_mixmonitor.so", "app_stack.so", "app_exec.so", "app_verbose.so",
                      "app_userevent.so", "app_while.so",
                      "res_musiconhold.so")),
    ("bridging", ("bridge_simple.so", "bridge_native_rtp.so", "bridge_builtin_features.so",
                  "bridge_holding.so")),
    ("media formats and codecs", ("format_gsm.so", "format_wav.so", "format_pcm.so",
                                  "format_wav_gsm.so", "format_sln.so", "codec_alaw.so",
                                  "codec_ulaw.so", "codec_gsm.so", "codec_a_mu.so",
                                  "codec_resample.so")),
    ("dialplan functions", ("func_callerid.so", "func_channel.so", "func_strings.so",
                            "func_logic.so", "func_global.so", "func_cut.so", "func_math.so",
                            "func_timeout.so", "func_dialplan.so")),
)

_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_NUMBER = re.compile(r"^\+?[0-9]{2,20}$")
# Letters (any script), digits, spaces and marks that mean nothing to a .conf file or the dialplan.
_UNSAFE = re.compile(r"[^\w \-.·•（）【】《》、，。：]", re.UNICODE)


def safe_text(value: str, limit: int = 80) -> str:
    """``value`` with anything a .conf file or the dialplan could interpret replaced by a space."""
    text = _UNSAFE.sub(" ", printable(value, 4 * limit))
    return " ".join(text.split())[:limit]


def _check_id(kind: str, value: str) -> str:
    if not _ID.match(value):
        raise AsteriskError(f"routing_rules.yaml: {kind} id {value!r} cannot be used in the Asterisk "
                            "configuration (lower-case letters, digits and _ only)")
    return value


def _check_format(value: str) -> str:
    from ivr.settings import RECORDING_FORMATS

    if value not in RECORDING_FORMATS:
        raise AsteriskError(f"IVR_RECORDING_FORMAT {value!r}: one of {', '.join(RECORDING_FORMATS)}")
    return value


def _check_number(where: str, value: str) -> str:
    if not _NUMBER.match(value):
        raise AsteriskError(f"routing_rules.yaml: {where}: {value!r} is not a dialable number")
    return value


def _check_sha(value: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}|", value):
        raise AsteriskError(f"{value!r} is not the SHA-256 of a rules file")
    return value


def line_aliases(number: str, area_code: str) -> list[str]:
    """Other forms the carrier may deliver a county number in: local 8 digits, +86, 0086."""
    if not (number.startswith(area_code) and len(number) > len(area_code)):
        return []
    national = number[1:]  # without the trunk prefix 0
    return [number[len(area_code):], f"+86{national}", f"0086{national}"]


@dataclass(frozen=True)
class RenderInput:
    rules: Rules
    site: Site
    secrets: Secrets
    install: Install
    layout: Layout
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    agi_timeout: float = 3.0   # seconds a FastAGI step may take (Settings.agi_timeout)
    recording_format: str = "opus"  # the recordings' file extension (Settings.recording_format)
    phones: Phones = Phones()  # the agents' softphones (trunks/phones.yaml)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ivr", TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _context(inp: RenderInput) -> dict:
    rules = inp.rules
    problems = identity_problems(inp.site, inp.phones)
    if problems:
        raise AsteriskError("the carrier could not be told apart by its address:\n  " + "\n  ".join(problems))
    centre = rules.centre
    general = _check_id("queue", centre.general_queue)
    queues = [{"id": _check_id("queue", q.id), "name_zh": safe_text(q.name_zh),
               "name_en": safe_text(q.name_en), "strategy": q.strategy,
               "ring_timeout": int(q.ring_timeout), "wrapup_time": int(q.wrapup_time),
               "announce_every": int(q.announce_every),
               "callback_offer_after": int(q.callback_offer_after), "handle_time": int(q.handle_time),
               "general": q.id == general}
              for q in rules.queues.values()]
    agents = [{"id": _check_id("agent", a.id), "name": safe_text(a.name),
               "queues": [_check_id("queue", q) for q in a.queues],
               "contact": inp.site.agent_contacts.get(a.id),
               "contact_host": contact_host(inp.site.agent_contacts.get(a.id, "")),
               "webrtc": a.id in inp.phones.webrtc}
              for a in rules.agents.values()]
    lines = []
    for line in rules.lines.values():
        number = _check_number(f"line {line.written}", line.number)
        department = rules.departments.get(line.department)
        lines.append({
            "number": number,
            "written": safe_text(line.written),
            "name": safe_text(line.name),
            "department": _check_id("department", line.department),
            "department_name": safe_text(department.name_zh if department else ""),
            "mode": Mode(line.mode).value,
            "assumed": line.assumed,
            "aliases": line_aliases(number, centre.area_code),
        })
    prompts = rules.prompts
    globals_ = [
        (dv.AGI, f"{inp.agi_host}:{int(inp.agi_port)}"),
        (dv.AGI_TIMEOUT, f"{float(inp.agi_timeout):g}"),
        (dv.GENERAL_QUEUE, general),
        (dv.FAILSAFE_PROMPTS, "&".join(prompts.get("greeting", ()))),
        (dv.RATING_PROMPTS, "&".join(prompts.get("rating_request", ()))),
        (dv.RATING_THANKS, "&".join(prompts.get("rating_thanks", ()))),
        (dv.RECORDINGS, str(inp.layout.recordings)),
        (dv.TIMEZONE, str(centre.timezone.key)),
        (dv.RECORDING_FORMAT, _check_format(inp.recording_format)),
        (dv.RULES_SHA256, _check_sha(rules.sha256)),
    ]
    return {
        "banner": BANNER,
        "install": inp.install,
        "layout": inp.layout,
        "site": inp.site,
        "secrets": inp.secrets,
        "queues": queues, "queue_keys": dv.QUEUE_KEYS_CONTEXT,
        "agents": agents,
        "lines": lines,
        "globals": globals_,
        "library": LIBRARY,
        "modules": MODULES,
        "v": dv,
        "ami_host": inp.ami_host,
        "ami_port": int(inp.ami_port),
        "accounts": {"engine": ami_events.ENGINE, "console": ami_events.CONSOLE,
                     "callbacks": ami_events.CALLBACKS},
        "declined": ami_events.DECLINED,
        "disabled_events": ami_events.DISABLED_EVENTS,
        "channelvars": dv.AMI_CHANNEL_VARIABLES,
        "phones": inp.phones,
        "acl": permitted_sources(inp.site, inp.phones),
        "relay": CONSOLE_RELAY, "relay_host": RELAY_HOST,
        "tls": {"cert": inp.layout.etc / "keys" / "asterisk.crt", "key": inp.layout.etc / "keys" / "asterisk.key"},
        "department_lines": _department_lines(rules),
        "callback_plan": dialling_plan(centre.area_code),
        "feature_codes": agent_phone.FEATURE_CODES,
        "in_call_keys": agent_phone.IN_CALL_KEYS,
    }


def _department_lines(rules: Rules) -> list[dict]:
    """The departments' own lines with the forms an agent may dial them in (the only numbers the
    departments' trunk dials: see :func:`ivr.core.agent_phone.department_lines`)."""
    out = []
    for line in agent_phone.department_lines(rules).values():
        department = rules.departments.get(line.department)
        out.append({"number": _check_number(f"department line of {line.via}", line.number),
                    "department": _check_id("department", line.department),
                    "name": safe_text(department.name_zh if department else ""),
                    "aliases": line_aliases(line.number, rules.centre.area_code)})
    return out


def render(inp: RenderInput) -> dict[str, str]:
    """Every rendered file's name and text."""
    env = _environment()
    context = _context(inp)
    return {name: env.get_template(f"{name}.j2").render(context) for name in FILES}


def write(files: dict[str, str], etc_dir: Path, dialplan_dir: Path = DIALPLAN_DIR) -> list[Path]:
    """Write the rendered ``files`` into ``etc_dir`` and copy the library contexts beside them.

    Secret files are written 0600. Files of an earlier rendering that are no longer produced
    are left alone (Asterisk reads only what the rendered files name).
    """
    etc_dir = Path(etc_dir)
    etc_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = etc_dir / name
        if name in SECRET_FILES:
            write_private(path, text)
        else:
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        written.append(path)
    library_out = etc_dir / "dialplan"
    library_out.mkdir(exist_ok=True)
    for name in LIBRARY:
        source = Path(dialplan_dir) / name
        if not source.is_file():
            raise AsteriskError(f"the dialplan library file {source} is missing")
        shutil.copyfile(source, library_out / name)
        written.append(library_out / name)
    return written
