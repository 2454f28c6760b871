"""A candidate's stand-in prompts: missing on a fresh machine is a thing to build, not a problem;
an apply builds them before the rules go in force, or is refused when they cannot be made."""
from __future__ import annotations

import shutil

import pytest

from ivr.errors import AsteriskError
from ivr.lifecycle.candidate import build_stand_ins, check_candidate
from ivr.settings import Settings
from support import RULES_FILE


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings.from_env({"IVR_DATA_DIR": str(tmp_path / "var"), "IVR_RULES": str(RULES_FILE)})
    from ivr.asterisk.install import locate

    try:
        locate(settings.asterisk_cache)
    except AsteriskError:
        pytest.skip("no Asterisk on this machine: prompts are not checked")
    return settings


def test_a_fresh_folder_has_stand_ins_to_build_and_apply_builds_them(settings):
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("needs espeak-ng and sox (bash tools/install-prompts.sh)")
    text = RULES_FILE.read_text(encoding="utf-8")
    checked = check_candidate(text, "routing_rules.yaml", settings)
    assert checked.ok and checked.prompts_checked and checked.problems == []
    assert checked.stand_ins == ["hotline/greeting", "hotline/sunset_notice_20200728", "hotline/number_retired",
                                 "hotline/closed_notice", "hotline/rating_request", "hotline/rating_thanks"]
    assert any("6 stand-in prompt(s) not built" in n for n in checked.notices)
    assert build_stand_ins(checked, settings, by="root") is None
    again = check_candidate(text, "routing_rules.yaml", settings)
    assert again.ok and again.stand_ins == [] and not any("stand-in" in n for n in again.notices)


def test_stand_ins_that_cannot_be_made_refuse_the_apply(settings, monkeypatch):
    checked = check_candidate(RULES_FILE.read_text(encoding="utf-8"), "routing_rules.yaml", settings)
    monkeypatch.setattr("ivr.prompts.library.shutil.which", lambda name: None)  # no espeak-ng here
    reason = build_stand_ins(checked, settings, by="root")
    assert reason is not None and "hotline/greeting" in reason and "espeak-ng is not installed" in reason
