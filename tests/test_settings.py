"""Every IVR_* setting is checked when read: a bad value is named, with what it may hold."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ivr.asterisk.secrets import Secrets
from ivr.errors import SettingsError
from ivr.settings import Settings

IVR = str(Path(sys.executable).with_name("ivr"))


@pytest.mark.parametrize("name, value, expected", [
    ("IVR_AGI_PORT", "abc", "a port: a whole number from 1 to 65535"),
    ("IVR_AGI_PORT", "99999", "a port: a whole number from 1 to 65535"),
    ("IVR_AGI_PORT", "0", "a port"),
    ("IVR_AMI_PORT", "-1", "a port"),
    ("IVR_AMI_PORT", "５０３８", "a port"),          # full-width digits: isdigit() is not enough
    ("IVR_AGI_TIMEOUT", "0", "a number from 0.5 to 30"),
    ("IVR_AGI_TIMEOUT", "nan", "a number from 0.5 to 30"),
    ("IVR_AGI_HOST", "host; rm -rf /", "a host name or IP address"),
    ("IVR_CLOCK", "yesterday", "an ISO time"),
    ("IVR_RECORDINGS_KEEP_DAYS", "0", "a whole number of days from 1 to 36500"),
    ("IVR_RECORDINGS_KEEP_DAYS", "half a year", "a whole number of days"),
    ("IVR_RECORDING_FORMAT", "mp3", "one of opus, wav"),
    ("IVR_RECORDINGS_MIN_FREE_MB", "0", "a number from 1 to 999999"),
    ("IVR_RECORDINGS_MIN_FREE_MB", "lots", "a number from 1 to 999999"),
    ("IVR_MISSED_HOURS", "8-20", "hours of the day like 08:00-20:00"),
    ("IVR_MISSED_HOURS", "20:00-08:00", "the end after the start"),
    ("IVR_MISSED_AFTER", "-1", "a number from 0 to 3600"),
    ("IVR_MISSED_WINDOW", "0", "a number from 1 to 720"),
])
def test_a_bad_setting_is_named_with_what_it_may_hold(name, value, expected):
    with pytest.raises(SettingsError) as err:
        Settings.from_env({name: value})
    assert str(err.value).startswith(f"{name}={value!r} is not valid: expected ") and expected in str(err.value)


def test_good_settings_are_read():
    s = Settings.from_env({"IVR_AGI_PORT": " 4600 ", "IVR_AGI_TIMEOUT": "2.5", "IVR_AMI_HOST": "::1"})
    assert (s.agi_port, s.agi_timeout, s.ami_host) == (4600, 2.5, "::1")
    assert s.recordings_keep_days is None
    assert s.recordings_min_free_mb == 1024.0  # a gigabyte: about 18 hours of one call's WAV
    assert Settings.from_env({"IVR_RECORDINGS_MIN_FREE_MB": "200"}).recordings_min_free_mb == 200.0
    assert Settings.from_env({"IVR_RECORDINGS_KEEP_DAYS": "180"}).recordings_keep_days == 180
    missed = Settings.from_env({"IVR_MISSED_HOURS": "07:30-24:00", "IVR_MISSED_AFTER": "30"}).missed_policy()
    assert (missed.hours, missed.after_s, missed.window_h) == ((450, 1440), 30, 24.0)


def test_the_command_line_names_the_setting_without_a_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "IVR_DATA_DIR": str(tmp_path), "IVR_AGI_PORT": "99999"}
    done = subprocess.run([IVR, "agi", "serve"], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip() == ("error: IVR_AGI_PORT='99999' is not valid: expected a port: "
                                   "a whole number from 1 to 65535")


def test_passwords_never_appear_in_a_repr():
    settings = Settings.from_env({"IVR_DATABASE_URL": "postgresql+psycopg://ivr:s3cret@db.example/ivr"})
    assert "s3cret" not in repr(settings) and "ivr:***@db.example" in repr(settings)
    secrets = Secrets("ivr-engine", "amisecret", {"agent1": "sippass"})
    assert "amisecret" not in repr(secrets) and "sippass" not in repr(secrets)
    assert "amisecret" not in str(secrets)


def test_the_log_level_is_read_and_a_bad_one_is_named():
    import logging

    from ivr.logs import level_from_env

    assert level_from_env({}) == logging.INFO
    assert level_from_env({"IVR_LOG_LEVEL": " DEBUG "}) == logging.DEBUG
    with pytest.raises(SettingsError) as err:
        level_from_env({"IVR_LOG_LEVEL": "loud"})
    assert "IVR_LOG_LEVEL='loud' is not valid: expected one of debug, info, warning, error" in str(err.value)
