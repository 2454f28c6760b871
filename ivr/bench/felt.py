"""What people feel, measured in a benchmark run: CPU per routing session, the screen pop, the
work order and the rating after an answer, and the recordings' bytes per second.

Functions of a running :class:`ivr.bench.runner.Bench` (its lab, ports, settings, rules), apart
from the runner only for length.
"""
from __future__ import annotations

import os
import time

import click

from ivr.bench import lab, load
from ivr.sipp import DTMF_PCAP

RATING_KEY = DTMF_PCAP.with_name("dtmf_2833_4.pcap")  # "4": satisfied


def agi_cpu(bench, engine: lab.Engine) -> dict:
    """CPU per routing session, the engine against the minimal server, without Asterisk."""
    from ivr.bench import agi_cpu as cpu

    out = {}
    servers = [("engine", bench.ports.agi, "route", engine.routing_pid)]
    if bench.minimal is not None and bench.minimal.proc is not None:
        servers.append(("minimal", bench.ports.minimal_agi, "minimal", bench.minimal.proc.pid))
    for name, port, script, pid in servers:
        out[name] = cpu.measure(port, script, pid).to_dict()
    if "minimal" in out and out["minimal"]["cpu_us_per_session"]:
        out["engine_over_minimal"] = round(out["engine"]["cpu_us_per_session"]
                                           / out["minimal"]["cpu_us_per_session"], 2)
    return out


def recordings(bench) -> dict:
    """Bytes per second of call: this run's recordings, and speech through the same encoder."""
    from ivr.bench import recording_size

    lab.settle(bench.deployment)
    time.sleep(3)  # the last recordings compressed and in place
    prompts = sorted(bench.deployment.layout.sounds.glob("hotline/*.wav"))
    return {"run": recording_size.of_run(bench.settings.recordings_dir),
            "speech": recording_size.speech(prompts)}


def pop_rounds(bench) -> dict:
    """The screen pop's delay with every agent of the general queue answering at once."""
    from ivr.asterisk.secrets import load as load_secrets
    from ivr.asterisk.secrets import secrets_path
    from ivr.bench import pop

    c = bench.config
    agents = pop.queue_agents(bench.rules, bench.rules.centre.general_queue)
    lab.settle(bench.deployment)
    time.sleep(c.agent_talk_ms / 1000 + 6)  # wrap-up after the surge
    secrets = load_secrets(secrets_path(bench.settings.data_dir))
    env = {**os.environ, **lab.settings_env(bench.settings)}
    step = bench.run_dir / "steps" / "pop"

    # callers who stay on after the agent hangs up and key a rating, as citizens do: the key
    # comes after the greeting (the caller's answer is Answer(), before it) and the agent's talk
    from ivr.prompts.library import wav_seconds

    greeting = bench.deployment.layout.sounds / "hotline" / "greeting.wav"
    greeting_ms = int(wav_seconds(greeting) * 1000) if greeting.exists() else 0
    key_after_ms = greeting_ms + c.agent_talk_ms + 2000

    def one_round() -> None:
        load.place("12345", rate=50, calls=len(agents), workdir=step, ports=bench.ports,
                   scenario="carrier_rate.xml", talk_ms=key_after_ms,
                   keys={"dtmf": str(RATING_KEY), "pcap": str(RATING_KEY)},
                   answer_timeout_ms=10_000, max_concurrent=len(agents), timeout=60)
        lab.wait_idle(bench.deployment, timeout=60)
        time.sleep(c.agent_talk_ms / 1000 + 6)  # every agent free again before the next round

    click.echo(f"screen pop: {c.pop_rounds} rounds of {len(agents)} calls answered at once", err=True)
    result = pop.measure(base_url=f"http://127.0.0.1:{bench.ports.web}", ivr=[lab.IVR], env=env,
                         agents=agents, ami=(bench.settings.ami_host, bench.settings.ami_port,
                                             secrets.ami_user, secrets.ami_secret),
                         place_round=one_round, database_url=bench.settings.database_url,
                         rounds=c.pop_rounds)
    return result.to_dict()
