"""The cluster benchmark's figures, read from its results (pure: the tests feed it documents).

- **highest rate** per way: the ramp's (every step up to it passed);
- **the dispatcher's cost** two ways: the rate through Kamailio to one node against straight to
  it (the target: at least 0.9 of it, a cost of at most 10 %), and Kamailio's CPU per call
  against the node's Asterisk's CPU per call;
- **a model of capacity per added machine**: each node on a machine of its own takes what one
  node takes straight (``direct``), and Kamailio passes ``1000 / its CPU ms per call`` calls
  per second per core; N machines behind one Kamailio take the smaller of the two.
"""
from __future__ import annotations

WAYS = ("direct", "front1", "front2", "front3")


def cpu_per_call(doc: dict) -> dict[str, dict[str, float | None]]:
    """Per way: Kamailio's and the Asterisks' CPU milliseconds per call placed, over the steps
    that passed (a saturated step's backlog and retries would count against the calls twice)."""
    calls = {(s["way"], s["rate"]): s["placed"] for s in doc.get("steps", []) if s["passed"]}
    out: dict[str, dict[str, float | None]] = {}
    for way in WAYS:
        spent = [c for c in doc.get("cpu", []) if c["way"] == way and (c["way"], c["rate"]) in calls]
        placed = sum(calls.get((c["way"], c["rate"]), 0) for c in spent)
        out[way] = {part: (round(1000 * sum(c["cpu_seconds"][part] for c in spent) / placed, 3)
                           if placed else None) for part in ("kamailio", "asterisk")}
    return out


def summary(doc: dict) -> dict:
    highest = doc.get("highest", {})
    cpu = cpu_per_call(doc)
    direct, front1 = highest.get("direct"), highest.get("front1")
    rate_ratio = round(front1 / direct, 3) if direct and front1 else None
    k_ms, a_ms = cpu["front1"]["kamailio"], cpu["direct"]["asterisk"]
    cpu_ratio = round(k_ms / a_ms, 3) if k_ms and a_ms else None
    front_capacity = round(1000 / k_ms) if k_ms else None  # calls/s one core of Kamailio passes
    model = {n: (min(n * direct, front_capacity) if direct and front_capacity else None) for n in (1, 2, 3, 6, 12)}
    return {"highest": highest, "cpu_ms_per_call": cpu, "front1_over_direct": rate_ratio,
            "kamailio_over_asterisk_cpu": cpu_ratio, "kamailio_calls_per_core": front_capacity,
            "model": model}


def _rate(value) -> str:
    return f"{value}/s" if value else "none"


def _ms(value) -> str:
    return f"{value:.2f} ms" if value is not None else "-"


def table(doc: dict) -> list[str]:
    s = summary(doc)
    machine = doc.get("machine", {})
    ceiling = doc.get("ceiling_reached", {})
    lines = [f"cluster benchmark {doc.get('date', '')}: {machine.get('cores')} cores, load average "
             f"{machine.get('load_before')} before, {machine.get('load_after')} after",
             f"  {'way':<8} {'highest rate, no failed call':<30} {'Kamailio CPU/call':<19} Asterisk CPU/call"]
    for way in WAYS:
        top = _rate(s["highest"].get(way)) + (" (the ramp's top: more)" if ceiling.get(way) else "")
        cpu = s["cpu_ms_per_call"][way]
        lines.append(f"  {way:<8} {top:<30} {_ms(cpu['kamailio']):<19} {_ms(cpu['asterisk'])}")
    ratio = s["front1_over_direct"]
    verdict = "" if ratio is None else (" (target >= 0.9: met)" if ratio >= 0.9 else " (target >= 0.9: missed)")
    lines.append(f"  through Kamailio to one node: {ratio if ratio is not None else '-'} of the rate straight "
                 f"to it{verdict}")
    lines.append(f"  Kamailio's CPU per call / a node's Asterisk's: {s['kamailio_over_asterisk_cpu'] or '-'}; "
                 f"one core of Kamailio passes about {_rate(s['kamailio_calls_per_core'])}")
    lines.append("  model, a node per machine behind one Kamailio core: "
                 + ", ".join(f"{n} -> {_rate(v)}" for n, v in s["model"].items()))
    return lines
