"""No log line of an ``ivr`` process carries a citizen's whole number, at any level."""
from __future__ import annotations

import logging

import structlog

from ivr import logs


def test_every_line_at_every_level_masks_the_citizens_number(capsys):
    try:
        for json in (False, True):
            logs.configure(json=json, level=logging.DEBUG)
            log = logs.get_logger("ivr.test", caller="051380009999")
            log.debug("route.decided", caller="13912345678")
            log.info("callback.dialled", callerid="+8613912345678", note="rang 13912345678 back")
            log.warning("route.warning", warning="caller 13800001111 not in the rules", line="051380000401")
            log.error("ami.event", fields=["CallerIDNum: 13700002222"])
        err = capsys.readouterr().err
    finally:
        structlog.reset_defaults()
    for whole in ("13912345678", "051380009999", "13800001111", "13700002222"):
        assert whole not in err
    assert "139****5678" in err and "0513****9999" in err and "051380000401" in err
