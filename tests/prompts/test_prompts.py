"""The engine's Mandarin prompts: texts, stand-ins made by espeak-ng, recordings added with sox,
and the rules check's pass that finds every prompt for the Asterisk that plays it."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from ivr.asterisk.install import Install
from ivr.asterisk.layout import Layout
from ivr.prompts import build
from ivr.prompts.check import prompt_problems
from ivr.prompts.library import RECORDING, STAND_IN, PromptLibrary, check_name, wav_seconds
from ivr.prompts.sounds import SoundFinder, inside
from ivr.prompts.texts import PromptError, load_texts, spoken_date, wordings, written_date

NOW = datetime(2020, 6, 1, 2, 0, tzinfo=timezone.utc)
needs_tools = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                                 reason="needs espeak-ng and sox (bash tools/install-prompts.sh)")


def test_dates_are_written_and_said_in_chinese():
    assert written_date(date(2020, 7, 28)) == "2020年7月28日"
    assert spoken_date(date(2020, 7, 28)) == "二零二零年七月二十八日"
    assert spoken_date(date(2026, 10, 1)) == "二零二六年十月一日"
    assert spoken_date(date(2021, 12, 10)) == "二零二一年十二月十日"


def test_the_shipped_texts_give_one_sunset_notice_per_retirement_date(shipped_rules):
    texts = load_texts()
    made = {w.name: w for w in wordings(texts, shipped_rules)}
    assert set(made) == {f"hotline/{n}" for n in ("greeting", "sunset_notice_20200728", "number_retired",
                                                  "closed_notice", "rating_request", "rating_thanks",
                                                  # surges: the notice's choices, the callback's words
                                                  "notice_choice", "left_informed", "callback_taken",
                                                  "callback_hello", "callback_offer",
                                                  # what a caller asking for a callback is told
                                                  "callback_joined", "callback_refused_today",
                                                  "callback_refused_number", "callback_unavailable")}
    notice = made["hotline/sunset_notice_20200728"]
    assert "2020年7月28日" in notice.written and "二零二零年七月二十八日" in notice.spoken
    assert "幺二三四五" in made["hotline/greeting"].spoken and "12345" in made["hotline/greeting"].written
    # every prompt the shipped rules name is made by the texts
    named = {s.replace("{retire_on}", "20200728") for sounds in shipped_rules.prompts.values() for s in sounds}
    assert named <= set(made)


@pytest.mark.parametrize("text,message", [
    ("prompts:\n  greeting: 你好\n", "is not a name of the engine's sounds"),
    ("prompts:\n  hotline/x_{retire_on}: 没有日期\n", "must be in both the name and the text"),
    ("voice: 'cmn; rm -rf /'\nprompts: {}\n", "is not an espeak-ng voice name"),
    ("prompts:\n  hotline/x: [a, b]\n", "expected one line of text"),
    ("surprise: 1\nprompts: {}\n", "unknown key 'surprise'"),
    ("prompts: [\n", "YAML syntax error"),
])
def test_a_bad_texts_file_is_refused_with_its_line(tmp_path, text, message):
    path = tmp_path / "texts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromptError, match="texts.yaml:[0-9]+") as refused:
        load_texts(path)
    assert message in str(refused.value)


@pytest.mark.parametrize("name", ["greeting", "hotline/../x", "hotline/a b", "/etc/passwd", "hotline/", "hotline/x;y"])
def test_only_names_of_the_engines_sounds_are_accepted(name):
    with pytest.raises(PromptError):
        check_name(name)


def test_inside_follows_links_as_the_chrooted_asterisk_does(tmp_path):
    root = tmp_path / "root"
    (root / "usr/share/asterisk/sounds/en_US_f_Allison").mkdir(parents=True)
    (root / "etc/alternatives").mkdir(parents=True)
    (root / "etc/alternatives/asterisk-prompt-en").symlink_to("/usr/share/asterisk/sounds/en_US_f_Allison")
    (root / "usr/share/asterisk/sounds/en").symlink_to("/etc/alternatives/asterisk-prompt-en")
    assert inside(root, "/usr/share/asterisk/sounds/en") == root / "usr/share/asterisk/sounds/en_US_f_Allison"


@pytest.fixture
def library(tmp_path) -> tuple[Layout, PromptLibrary]:
    layout = Layout(runtime=tmp_path / "asterisk", recordings=tmp_path / "recordings")
    return layout, PromptLibrary(layout.sounds)


@needs_tools
def test_stand_ins_are_8khz_mono_wav_with_sound_and_marked_as_stand_ins(library, shipped_rules):
    layout, lib = library
    made = build(layout, shipped_rules, by="root", at=NOW)
    assert {outcome for _, outcome in made} == {"made"}
    for name, entry in lib.entries().items():
        path = lib.path_of(name)
        info = subprocess.run(["soxi", str(path)], capture_output=True, text=True, check=True).stdout
        assert "Sample Rate    : 8000" in info and "Channels       : 1" in info and "16-bit" in info
        assert 1.0 < entry.seconds < 12, (name, entry.seconds)
        assert entry.source == STAND_IN and entry.voice == "cmn-latn-pinyin" and entry.by == "root"
        stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
        rms = float(next(l for l in stat.splitlines() if l.startswith("RMS     amplitude")).split()[-1])
        assert rms > 0.05, f"{name} is nearly silent"
    assert "2020年7月28日" in lib.entries()["hotline/sunset_notice_20200728"].text
    # a second build keeps what is there; --force makes them again
    assert {o for _, o in build(layout, shipped_rules, by="root", at=NOW)} == {"kept"}
    assert {o for _, o in build(layout, shipped_rules, by="root", at=NOW, force=True)} == {"made"}


@needs_tools
def test_a_recording_in_any_format_is_converted_and_never_replaced_by_a_stand_in(library, shipped_rules, tmp_path):
    layout, lib = library
    source = tmp_path / "greeting.flac"   # 44.1 kHz stereo FLAC, as a studio might send it
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", str(source), "synth", "2", "sine", "440"], check=True)
    entry = lib.add("hotline/greeting", source, by="li", at=NOW)
    assert (entry.source, entry.original, entry.by) == (RECORDING, "greeting.flac", "li")
    assert abs(wav_seconds(lib.path_of("hotline/greeting")) - 2.0) < 0.05
    made = dict(build(layout, shipped_rules, by="root", at=NOW, force=True))
    assert made["hotline/greeting"] == "recording kept"
    assert lib.entries()["hotline/greeting"].source == RECORDING


@needs_tools
@pytest.mark.parametrize("content", [b"not a sound at all", b""])
def test_a_file_sox_cannot_read_is_refused_and_nothing_is_written(library, tmp_path, content):
    _, lib = library
    bad = tmp_path / "evil.wav"
    bad.write_bytes(content)
    with pytest.raises(PromptError, match="evil.wav"):
        lib.add("hotline/greeting", bad, by="li", at=NOW)
    assert not lib.path_of("hotline/greeting").exists() and lib.entries() == {}


def _fake_install(root: Path) -> Install:
    (root / "usr/share/asterisk/sounds/en/digits").mkdir(parents=True)
    (root / "usr/share/asterisk/sounds/en/digits/1.gsm").write_bytes(b"x" * 33)
    return Install(kind="sid-root", root=root, binary="/usr/sbin/asterisk", version="22", module_dir="/m",
                   data_dir="/usr/share/asterisk", agi_dir="/a", sbin_dir="/usr/sbin")


def test_the_check_names_each_missing_prompt_at_its_line(tmp_path, shipped_rules, shipped_text):
    layout = Layout(runtime=tmp_path / "asterisk", recordings=tmp_path / "recordings")
    finder = SoundFinder(_fake_install(tmp_path / "root"), layout)
    (layout.sounds / "hotline").mkdir(parents=True)
    for name in ("greeting", "number_retired", "closed_notice", "rating_request"):
        (layout.sounds / "hotline" / f"{name}.wav").write_bytes(b"\0" * 1000)
    rules = dataclasses.replace(shipped_rules, prompts={**shipped_rules.prompts, "rating_thanks": ("digits/1",)})
    problems = prompt_problems(shipped_text, "routing_rules.yaml", rules, finder)
    line = next(i for i, l in enumerate(shipped_text.splitlines(), 1) if l.startswith("  sunset_notice:"))
    assert [(p.line, p.where) for p in problems] == [(line, "prompts.sunset_notice[0]")]
    assert "hotline/sunset_notice_20200728" in problems[0].message
    assert "0513-80000201, 0513-80000202" in problems[0].message and "retiring 2020-07-28" in problems[0].message
    assert "ivr prompts build" in problems[0].message
    (layout.sounds / "hotline" / "sunset_notice_20200728.wav").write_bytes(b"\0" * 1000)
    assert prompt_problems(shipped_text, "routing_rules.yaml", rules, finder) == []
    rules = dataclasses.replace(rules, prompts={**rules.prompts, "rating_thanks": ("digits/2",)})
    [missing] = prompt_problems(shipped_text, "routing_rules.yaml", rules, finder)
    assert "not one of this Asterisk's sounds" in missing.message


def test_manifest_is_json_with_one_entry_per_sound(library):
    _, lib = library
    lib.folder.mkdir(parents=True)
    lib.manifest_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(PromptError, match="unreadable"):
        lib.entries()
    lib.manifest_path.write_text(json.dumps({}), encoding="utf-8")
    assert lib.entries() == {}
