"""A morning at the centre for the supervisors' and auditors' pages: calls offered since 08:00 (most
answered, some abandoned, waits of a few seconds to a minute), their work orders (closed on the
spot or dispatched), last week's orders now overdue, results to review, low ratings to call back,
and recorded calls with real files listed in the manifest (a WAV, and an Ogg Opus file as Asterisk
compresses them with opusenc). Everything goes through the store
as the AMI listener and the process do, at the test clock (Monday 2020-06-01 10:30)."""
from __future__ import annotations

import math
import random
import struct
import subprocess
import wave
from datetime import timedelta
from pathlib import Path

from ivr import recordings
from support import at
from web.helpers import NOW

LINES = [("12345", "centre", "main", "q12345"), ("051380000304", "water", "dedicated", "seat_water"),
         ("051380000301", "environment", "dedicated", "seat_environment"),
         ("051380000102", "transport", "forward", "q12345")]
_seq = iter(range(10_000, 1_000_000))


def tone_wav(path: Path, seconds: float = 10.0, rate: int = 8000) -> Path:
    """A real, playable WAV (a soft 440 Hz tone), as MixMonitor writes them (8 kHz, 16-bit mono)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def tone_opus(path: Path, seconds: float = 10.0) -> Path:
    """The same tone compressed as the dialplan does it (opusenc at 12 kbit/s, Ogg Opus)."""
    wav = tone_wav(path.with_suffix(".wav"), seconds)
    subprocess.run(["opusenc", "--quiet", "--bitrate", "12", str(wav), str(path)], check=True)
    wav.unlink()
    return path


def linkedid() -> str:
    return f"1591000000.{next(_seq)}"


def answer(store, when, line=LINES[1], caller="13905130001", agent="agent8", wait=8, recording=None):
    """A call offered at ``when`` and answered after ``wait`` seconds, as the listener records it."""
    number, department, mode, queue = line
    call = linkedid()
    store.record_call(call, at=when, line=number, outcome="offered", caller=caller, department=department,
                      mode=mode, queue=queue, door=True, joined=True)
    ticket, _ = store.create_ticket_for_answer(call, at=when + timedelta(seconds=wait), line=number,
                                               department=department, mode=mode, caller=caller, queue=queue,
                                               agent=agent, recording_path=recording, wait_seconds=wait)
    return ticket


def abandon(store, when, line=LINES[0], wait=40):
    number, department, mode, queue = line
    store.record_call(linkedid(), at=when, line=number, outcome="abandoned", department=department, mode=mode,
                      queue=queue, caller="1390513" + f"{random.randint(0, 9999):04d}", wait_seconds=wait,
                      door=True, joined=True, stage="queue")


def morning(store, recordings_dir: Path | None = None, seed: int = 7, busy: bool = True) -> dict:
    """The seeded day (``busy``: a call every few minutes since 08:00, else since 10:15); returns the
    interesting orders by role."""
    random.seed(seed)
    made: dict = {"recorded": [], "overdue": [], "replied": [], "low_rated": []}
    when = at("2020-06-01 08:00" if busy else "2020-06-01 10:15")
    agents = ["agent1", "agent2", "agent3", "agent4"]
    while when < NOW - timedelta(minutes=2):
        line = random.choice(LINES)
        if random.random() < 0.12:
            abandon(store, when, line, wait=random.randint(10, 90))
        else:
            agent = "agent8" if line[3] == "seat_water" else "agent5" if line[3] == "seat_environment" \
                else random.choice(agents)
            ticket = answer(store, when, line, caller=f"139051{random.randint(0, 99999):05d}", agent=agent,
                            wait=random.choice([3, 5, 6, 8, 9, 12, 14, 18, 25, 45]))
            if random.random() < 0.7:
                store.apply(ticket.number, "close", ticket.agent, ticket.created_at + timedelta(minutes=3),
                            category="consultation", title="咨询办事流程", description="市民咨询，已当场解答。")
            else:
                store.apply(ticket.number, "dispatch", ticket.agent, ticket.created_at + timedelta(minutes=4),
                            category="help_request", unit=line[1] if line[1] != "centre" else "urban_management",
                            title="报修：路灯不亮", description="市民反映路灯不亮，请承办单位处理。")
        when += timedelta(minutes=random.choice([2, 3, 4, 5, 7]))
    last_week = at("2020-05-25 09:00")
    for index, unit in enumerate(["water", "street_lighting", "urban_management"]):
        ticket = answer(store, last_week + timedelta(minutes=index * 10), agent="agent2")
        store.apply(ticket.number, "dispatch", "agent2", ticket.created_at + timedelta(minutes=2),
                    category="help_request", unit=unit, title=f"小区停水报修（{index + 1}）",
                    description="市民反映小区停水，请尽快处理。")
        if index == 0:
            store.apply(ticket.number, "sign", "water", ticket.created_at + timedelta(hours=1))
        made["overdue"].append(ticket.number)
    store.sweep(NOW)
    for index in range(2):
        ticket = answer(store, at("2020-05-28 14:00") + timedelta(minutes=index), agent="agent3")
        store.apply(ticket.number, "dispatch", "agent3", ticket.created_at + timedelta(minutes=2),
                    category="complaint", unit="urban_management", title="噪音扰民投诉",
                    description="夜间施工噪音扰民。")
        store.apply(ticket.number, "sign", "urban_management", ticket.created_at + timedelta(hours=1))
        store.apply(ticket.number, "reply", "urban_management", ticket.created_at + timedelta(days=1),
                    text="已责令施工单位停止夜间施工，并处罚款。")
        made["replied"].append(ticket.number)
    for rating, caller in ((1, "13905139901"), (2, "13905139902"), (5, "13905139903")):
        ticket = answer(store, at("2020-05-29 16:00"), caller=caller, agent="agent1")
        store.apply(ticket.number, "close", "agent1", ticket.created_at + timedelta(minutes=2),
                    category="consultation", title="公交线路咨询", description="询问公交线路。")
        store.rate(ticket.number, rating, ticket.created_at + timedelta(minutes=5))
        if rating < 3:
            made["low_rated"].append(ticket.number)
    if recordings_dir is not None:
        for index, caller in enumerate(("13905130011", "13905130012")):
            call_at = at("2020-06-01 09:10") + timedelta(minutes=index * 7)
            folder = recordings_dir / "2020" / "06" / "01"
            path = tone_wav(folder / f"rec-{index}.wav") if index == 0 else tone_opus(folder / f"rec-{index}.opus")
            ticket = answer(store, call_at, caller=caller, agent="agent8", recording=str(path))
            entry = recordings.append(recordings_dir, path, ticket.linkedid, call_at + timedelta(minutes=3))
            store.attach_recording(ticket.linkedid, str(path), entry.sha256, entry.size)
            store.apply(ticket.number, "close", "agent8", call_at + timedelta(minutes=4), category="consultation",
                        title="水费缴纳咨询", description="市民询问水费缴纳方式，已告知。")
            made["recorded"].append(store.get(ticket.number))
    return made
