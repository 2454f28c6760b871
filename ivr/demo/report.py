"""The demo's result in words (the table a visitor reads) and as JSON."""
from __future__ import annotations

import json
from typing import Any


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_text(result: dict[str, Any]) -> list[str]:
    """The result as lines a visitor can read."""
    lines = [f"The calls (the engine's clock: {result['at']}; each row is one citizen's call):", ""]
    header = f"  {'#':>3}  {'number dialled':<15} {'department':<26} {'mode':<9} {'reached':<40} {'the rules say':<40} result"
    lines += [header, "  " + "-" * (len(header) - 2)]
    phase = None
    for c in result["calls"]:
        if c["phase"] != phase:
            phase = c["phase"]
            if phase == "failsafe":
                lines.append("  -- the routing engine is now stopped (killed): these calls must still reach 12345 --")
        lines.append(f"  {c['seq']:>3}  {c['number']:<15} {_cut(c['department_name'], 26):<26} {c['mode']:<9} "
                     f"{_cut(c['reached_text'], 40):<40} {_cut(c['expected_text'], 40):<40} "
                     f"{'OK' if c['ok'] else 'MISMATCH'}")
    ok_calls = sum(c["ok"] for c in result["calls"])
    lines += ["", f"  {ok_calls} of {len(result['calls'])} calls went where the rules say."]
    bad = [c for c in result["calls"] if not c["ok"]]
    for c in bad:
        lines.append(f"  MISMATCH #{c['seq']} {c['number']}: reached {c['reached_text']!r}, "
                     f"expected {c['expected_text']!r} ({c['carrier_detail'] or 'carrier call completed'})")
    tickets = result["tickets"]
    lines += ["", f"Work orders created when an agent answered ({len(tickets)}):", ""]
    if tickets:
        lines.append(f"  {'work order':<22} {'caller':<12} {'line':<13} {'department':<20} {'agent':<8} {'recording':<28} check")
        for t in tickets:
            rec = f"{(t['recording_size'] or 0) // 1000} kB, sha256 {t['recording_sha256'][:8]}" if t["recording_sha256"] else "none"
            lines.append(f"  {t['number']:<22} {t['caller']:<12} {t['line']:<13} {_cut(t['department'], 20):<20} "
                         f"{t['agent']:<8} {rec:<28} {'OK' if t['ok'] else '; '.join(t['problems'])}")
    desk = result.get("desk") or []
    if desk:
        closed = sum(d["ok"] and d["outcome"] == "close" for d in desk)
        dispatched = sum(d["ok"] and d["outcome"] == "dispatch" for d in desk)
        lines += ["", f"At the desk (the staff console, as a person uses it): {len(desk)} order(s) written down by "
                      f"the agents: {closed} answered on the spot, {dispatched} dispatched to their units"]
        for d in desk:
            if not d["ok"]:
                lines.append(f"  DESK PROBLEM {d['number']} ({d['login']}): {d['message']}")
    rec = result["recordings_check"]
    verdict = "all present, unchanged and complete" if rec["ok"] else "PROBLEMS: " + "; ".join(rec["problems"])
    lines += ["", (f"Recordings (ivr recordings verify): {rec['checked']} work-order recording(s) checked "
                  f"against the manifest's checksums: {verdict}")]
    total = (result.get("report") or {}).get("total") or {}
    if total:
        offered = (f"  calls offered to 12345: {total.get('offered')}, answered {total.get('answered')}, "
                   f"abandoned {total.get('abandoned')}: connection rate {_pct(total.get('connection_rate'))}")
        orders = (f"  work orders received: {total.get('received')}, answered on the spot "
                  f"{total.get('on_the_spot')}, dispatched {total.get('dispatched')}")
        lines += ["", "KPI report of the demo's calls (ivr report):", offered, orders,
                  "  (calls answered by a department's own line are not 12345's and are not counted)"]
    lines += ["", "VERDICT: " + ("every call went where the rules say; every answered call has its "
                                  "work order and verified recording" if result["ok"] else
                                  "PROBLEMS FOUND (see MISMATCH and the checks above)")]
    lines += ["", *look_again(result["data_dir"])]
    console = result.get("console") or {}
    if console.get("kept_running"):
        lines += ["", f"The staff console is still running: {console['url']} (logins below, shown only this once):"]
        lines += [f"  {a.get('role', 'agent'):<11} {a['name']:<18} {a['password']}"
                  for a in _one_agent(console.get("accounts", []))]
        env = " ".join(f"{k}={v}" for k, v in (console.get("env") or {}).items())
        lines += ["  (one login per role; the agents' phones were the demo's SIPp, now stopped, so every",
                  "  agent is logged out of the queues: log in on the desk with a phone of your own)",
                  "More logins, for this console's database (the same three variables for every `ivr` command):",
                  f"  {env} .venv/bin/ivr users add NAME --role agent --phone agent1"]
        if console.get("sip"):
            lines += ["To call it (Asterisk takes any call from 127.0.0.1 as the carrier's):",
                      f"  sipp -sn uac -s 12345 -m 1 {console['sip']}",
                      f"  or a softphone: sip:12345@{console['sip']}; the agents' desks need a phone logged in first"]
    return lines


def _one_agent(accounts: list[dict]) -> list[dict]:
    """One login per role: the first agent's and every other role's."""
    agents = [a for a in accounts if a.get("role", "agent") == "agent"]
    return agents[:1] + [a for a in accounts if a.get("role", "agent") != "agent"]


def look_again(data_dir: str) -> list[str]:
    """How to look at the demo's own data afterwards: it lives in its folder, not in var/."""
    env = (f"IVR_DATA_DIR={data_dir} IVR_DATABASE_URL=sqlite:///{data_dir}/tickets.sqlite3 "
           f"IVR_RECORDINGS_DIR={data_dir}/recordings")
    return [f"The demo keeps its data in {data_dir} (emptied at the next run); to look at it:",
            f"  {env} .venv/bin/ivr tickets list",
            "  (likewise `ivr tickets show NUMBER`, `ivr report`, `ivr recordings verify`)"]


# --- the adapter: processes -------------------------------------------------------------------


def to_json(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2, default=str)
