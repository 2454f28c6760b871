"""The fail2ban filter in fail2ban/ against Asterisk's own lines (captured from the lab's
security.log and messages.log): every failure counted once, with the right address, and
nothing counted for a successful login."""
from __future__ import annotations

import shutil

import pytest

from fail2ban_filter import hosts
from support import REPO

SAMPLE = REPO / "tests" / "fixtures" / "asterisk-security-sample.log"
EXPECTED = ["127.0.2.4",   # ChallengeResponseFailed: agent3 with a wrong password
            "127.0.2.4",   # InvalidAccountID: a user that does not exist
            "127.0.0.1",   # FailedACL: a REGISTER identified as the carrier (no AOR)
            "127.0.9.9"]   # res_pjsip_acl: SIP from an address nobody permitted


def test_python_regexes_from_the_filter_file_find_each_failure():
    assert hosts(SAMPLE, use_fail2ban=False) == EXPECTED


@pytest.mark.skipif(shutil.which("fail2ban-regex") is None,
                    reason="fail2ban is not installed here (tools/install-softphones.sh installs it)")
def test_fail2ban_regex_finds_the_same_failures():
    assert hosts(SAMPLE, use_fail2ban=True) == EXPECTED


def test_successful_and_informational_lines_are_not_failures(tmp_path):
    quiet = tmp_path / "quiet.log"
    quiet.write_text("".join(line + "\n" for line in SAMPLE.read_text().splitlines()
                             if "ChallengeSent" in line or "SuccessfulAuth" in line or "NOTICE" in line))
    assert hosts(quiet) == []
