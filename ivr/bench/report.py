"""The benchmark's results: one JSON document, and the readable table printed from it.

Pure: :func:`document` builds the dictionary written to ``bench/results/<date>.json``;
:func:`table` and :func:`target_lines` turn it into text. The ratios compare each routed way
with the static dialplan measured in the same run, which is what carries from one machine to
another; the absolute milliseconds do not.
"""
from __future__ import annotations

from ivr.bench.ramp import Ramp
from ivr.bench.stats import ratio

WAYS = {
    "static": "(a) static dialplan, no AGI",
    "engine": "(b) engine, FastAGI",
    "classic": "(c) pyst2 AGI, process per call",
    "minimal": "(d) minimal FastAGI, one variable",
}

# The targets: (name, measured key, comparison, limit).
TARGETS = (
    ("engine p50 within 1.25x of static at the target rate", "p50", "<=", 1.25),
    ("engine p99 within 1.5x of static at the target rate", "p99", "<=", 1.5),
    ("engine's highest sustained rate >= 90 % of static's", "highest_sustained", ">=", 0.90),
)


def way_summary(ramp: Ramp, way: str) -> dict:
    return {
        "label": WAYS.get(way, way),
        "highest_sustained": ramp.highest_sustained(way),
        "first_loss_at": ramp.stopped.get(way),
        "ceiling_not_reached": ramp.ceiling_reached(way),
        "steps": [r.to_dict() for r in ramp.steps(way)],
    }


def ratios(ramp: Ramp, way: str, base: str, rates) -> dict:
    """``way`` over ``base``: p50 and p99 at each rate both ran, and highest sustained rate."""
    out: dict = {"by_rate": {}}
    for rate in rates:
        a, b = ramp.at(way, rate), ramp.at(base, rate)
        if a is None or b is None:
            continue
        out["by_rate"][str(rate)] = {"p50": ratio(a.latency.p50, b.latency.p50),
                                     "p99": ratio(a.latency.p99, b.latency.p99)}
    out["highest_sustained"] = ratio(ramp.highest_sustained(way), ramp.highest_sustained(base))
    return out


def targets(doc_ratios: dict, target_rate: int, static_ceiling_not_reached: bool) -> list[dict]:
    """Each target with its measured value and whether it is met (None: not measurable)."""
    engine = doc_ratios.get("engine_over_static", {})
    at_rate = engine.get("by_rate", {}).get(str(target_rate), {})
    out = []
    for name, key, op, limit in TARGETS:
        value = engine.get(key) if key == "highest_sustained" else at_rate.get(key)
        met = None if value is None else (value <= limit if op == "<=" else value >= limit)
        note = ""
        if key == "highest_sustained" and static_ceiling_not_reached:
            note = "static passed every rate tried: raise --ramp to find its ceiling"
        out.append({"target": name, "rate": target_rate if key != "highest_sustained" else None,
                    "limit": f"{op} {limit}", "value": value, "met": met, "note": note})
    return out


def document(*, ramp: Ramp, rates, target_rate: int, config: dict, machine: dict,
             engine: dict, surge: dict | None, started: str, seconds: float, pop: dict | None = None,
             recordings: dict | None = None, profile: dict | None = None) -> dict:
    ways = {way: way_summary(ramp, way) for way in ramp.ways}
    doc_ratios = {}
    if "static" in ramp.ways:
        for way in ramp.ways:
            if way != "static":
                doc_ratios[f"{way}_over_static"] = ratios(ramp, way, "static", ramp.rates)
    return {
        "started": started,
        "seconds": round(seconds, 1),
        "machine": machine,
        "config": config,
        "report_rates": list(rates),
        "ways": ways,
        "ratios": doc_ratios,
        "targets": targets(doc_ratios, target_rate,
                           ways.get("static", {}).get("ceiling_not_reached", False)),
        "engine": engine,
        "surge": surge,
        "pop": pop,
        "recordings": recordings,
        "profile": profile,
    }


def _ms(value) -> str:
    return "-" if value is None else f"{value:g}"


def table(doc: dict) -> list[str]:
    """The readable table: one row per way and rate, then ratios, targets, engine and surge."""
    lines = [f"{'way':<34} {'rate/s':>6} {'placed':>7} {'failed':>7} {'p50 ms':>7} {'p90 ms':>7} "
             f"{'p99 ms':>7} {'max ms':>7} {'AMI q':>7}"]
    report = set(doc.get("report_rates", []))
    for way, summary in doc["ways"].items():
        for step in summary["steps"]:
            lat = step["latency_ms"]
            lost = step["failed"] + step["misrouted"] + max(0, step["expected"] - step["placed"])
            mark = "" if step["rate"] in report else "  (ramp)"
            lines.append(f"{summary['label']:<34} {step['rate']:>6} {step['placed']:>7} {lost:>7} "
                         f"{_ms(lat['p50']):>7} {_ms(lat['p90']):>7} {_ms(lat['p99']):>7} "
                         f"{_ms(lat['max']):>7} {_ms(step.get('ami_queue_max_depth')):>7}{mark}")
        sustained = summary["highest_sustained"]
        more = "+ (passed every rate tried)" if summary["ceiling_not_reached"] else ""
        lines.append(f"{'':<34} highest sustained with no failed call: "
                     f"{sustained if sustained is not None else 'none'} calls/s{more}")
    lines.append("AMI q: the deepest stasis/m:manager:core queue during the step (PJSIP ignores new calls "
                 "past 3,000)")
    lines.extend(ami_queue_lines(doc))
    lines.append("")
    for name, values in doc["ratios"].items():
        parts = [f"{rate}/s p50 {_ms(v['p50'])}x p99 {_ms(v['p99'])}x"
                 for rate, v in values["by_rate"].items()]
        lines.append(f"{name.replace('_', ' ')}: " + "; ".join(parts)
                     + f"; highest sustained {_ms(values['highest_sustained'])}x")
    lines.extend(target_lines(doc))
    engine = doc.get("engine") or {}
    if engine:
        d = engine.get("decision_us", {})
        s = engine.get("session_us", {})
        mem = engine.get("memory_kb", {})
        lines.append(f"engine decision time (decide() alone): n={d.get('count')} "
                     f"p50={_ms(d.get('p50_us'))} us "
                     f"p99={_ms(d.get('p99_us'))} us max={_ms(d.get('max_us'))} us")
        lines.append(f"engine AGI session (header in -> connection closed): p50={_ms(s.get('p50_us'))} us "
                     f"p99={_ms(s.get('p99_us'))} us")
        cpu = engine.get("cpu_per_session") or {}
        if cpu.get("engine"):
            minimal = cpu.get("minimal", {})
            lines.append(f"CPU per routing session without Asterisk (a FastAGI client, {cpu['engine']['sessions']} "
                         f"sessions): engine {cpu['engine']['cpu_us_per_session']:g} us, minimal FastAGI "
                         f"{minimal.get('cpu_us_per_session', '-')} us ({cpu.get('engine_over_minimal', '-')}x)")
        lines.append(f"engine memory: {mem.get('vmrss', '-')} KiB resident at the end, "
                     f"peak {mem.get('vmhwm', '-')} KiB (start {mem.get('start_vmrss', '-')} KiB)")
    surge = doc.get("surge")
    if surge:
        lines.append("")
        if surge.get("skipped"):
            lines.append(f"surge: not run ({surge['skipped']})")
        else:
            v = surge["verdict"]
            lines.append(f"surge on {surge['line']} ({surge['callers']} callers over "
                         f"{surge['seconds']:g} s, "
                         f"agents {', '.join(surge['agents'])}): {'PASS' if v['passed'] else 'FAIL'}")
            lines.append(f"  queued {v['queued']}, overflowed to 12345 {v['overflowed']}, answered "
                         f"{v['answered']} {v['answered_by_queue']}, "
                         f"abandoned by the caller {v['abandoned']}, "
                         f"dropped {v['dropped']}, never queued {v['never_queued']}, failed at caller "
                         f"{v['sipp_failed']}")
            lines.append(f"  work orders {v['tickets']} for {v['answered']} answered calls "
                         f"(missing {v['answered_without_ticket']}, extra {v['tickets_without_answer']})")
            for problem in v["problems"]:
                lines.append(f"  problem: {problem}")
            from ivr.bench.surge_informed import report_lines
            lines += report_lines(surge)
    lines += pop_lines(doc.get("pop"))
    lines += recording_lines(doc.get("recordings"))
    lines += profile_lines(doc.get("profile"))
    return lines


def profile_lines(prof: dict | None, top: int = 8) -> list[str]:
    """Where the engine's time went during the ramp, and Asterisk's deepest queues."""
    if not prof:
        return []
    if prof.get("skipped"):
        out = ["", f"engine profile: not taken ({prof['skipped']})"]
    else:
        out = ["", f"engine profile, {prof.get('load', 'under load')} (py-spy, {prof['samples']} samples at "
                   f"{prof['rate_hz']} Hz), most samples on top of the stack:"]
        out += [f"  {r['percent']:5.1f} %  {r['function']}" for r in prof["self"][:top]]
    tps = prof.get("asterisk_taskprocessors") or []
    if tps:
        out.append("Asterisk task processors, deepest queues after the ramp: " + "; ".join(
            f"{r['name']} max depth {r['max_depth']}" for r in tps[:4]))
    return out


def recording_lines(rec: dict | None) -> list[str]:
    """Bytes per second of call, before and after compression."""
    if not rec:
        return []
    out = [""]
    speech = rec.get("speech") or {}
    if speech.get("skipped"):
        out.append(f"recordings: speech not measured ({speech['skipped']})")
    elif speech and speech["before_wav"]["files"]:
        b, a = speech["before_wav"], speech["after_opus"]
        out.append(f"recordings, speech ({b['files']} files, {b['seconds']:g} s): WAV {b['bytes_per_second']} B/s "
                   f"-> Ogg Opus {a['bytes_per_second']} B/s ({speech['ratio']:g} of the size; goal <= 2048 B/s)")
    for form, size in (rec.get("run") or {}).items():
        if size["files"] and size["seconds"]:
            out.append(f"recordings of this run's calls, {form}: {size['files']} files, {size['seconds']:g} s, "
                       f"{size['bytes_per_second']} B/s")
    return out


def pop_lines(pop: dict | None) -> list[str]:
    """The screen pop's delay, answer to the agent's page."""
    if not pop:
        return []
    if pop.get("skipped"):
        return ["", f"screen pop: not run ({pop['skipped']})"]
    lat = pop["latency_ms"]

    def ms(value) -> str:
        return "-" if value is None else f"{value:.1f} ms"
    lines = ["", f"{pop['agents']} agents answering at once (callers arriving at 50/s), {pop['rounds']} rounds:",
             f"  screen pop, answer (AgentConnect) to the agent's page: p50 {ms(lat['p50'])}, "
             f"p99 {ms(lat['p99'])}, max {ms(lat['max'])} over {lat['count']} pops ({pop['answered']} answers, "
             f"{pop['missing']} without a pop; goal p99 <= 300 ms)"]
    order, rating = pop.get("order_latency_ms"), pop.get("rating_latency_ms")
    poll = f"database looked at every {pop.get('poll_ms', 0):g} ms"
    if order:
        lines.append(f"  work order, answer to the order in the database: p50 {ms(order['p50'])}, "
                     f"p99 {ms(order['p99'])}, max {ms(order['max'])} over {order['count']} orders "
                     f"({pop.get('orders_missing', 0)} never seen; {poll}; goal p99 <= 50 ms)")
    page = pop.get("page_order_latency_ms")
    if page and page.get("count"):
        lines.append(f"  the order's number on the agent's page, answer to screen_pop_order: p50 {ms(page['p50'])}, "
                     f"p99 {ms(page['p99'])}, max {ms(page['max'])} over {page['count']} "
                     f"({pop.get('page_orders_missing', 0)} never shown; goal p99 <= 150 ms)")
    if rating:
        lines.append(f"  rating, the caller's key (UserEvent IvrRating) to the rating in the database: "
                     f"p50 {ms(rating['p50'])}, p99 {ms(rating['p99'])}, max {ms(rating['max'])} over "
                     f"{rating['count']} of {pop.get('ratings_keyed', 0)} keyed "
                     f"({pop.get('ratings_missing', 0)} never seen)")
    return lines


def ami_queue_lines(doc: dict) -> list[str]:
    """AMI's router at each way's highest sustained rate (the issue's goal: < 500 for the engine)."""
    out = []
    for way, summary in doc["ways"].items():
        rate = summary["highest_sustained"]
        depth = next((s.get("ami_queue_max_depth") for s in summary["steps"] if s["rate"] == rate), None)
        if rate is not None and depth is not None:
            goal = " (goal for the engine: < 500)" if way == "engine" else ""
            out.append(f"deepest AMI queue at {summary['label']}'s highest sustained rate ({rate}/s): {depth}{goal}")
    return out


def target_lines(doc: dict) -> list[str]:
    out = []
    for t in doc.get("targets", []):
        state = {True: "MET", False: "NOT MET", None: "n/a"}[t["met"]]
        where = f" at {t['rate']}/s" if t.get("rate") else ""
        note = f" ({t['note']})" if t.get("note") else ""
        out.append(f"target: {t['target']}{where}: {_ms(t['value'])} {t['limit']} -> {state}{note}")
    return out
