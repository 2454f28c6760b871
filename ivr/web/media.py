"""What the console shows of each call's media: the silent side and the MOS on the auditor's
recording page, the marked agent phones and trunks on the wallboard, the figures on ``/metrics``.

The figures are the engine's media check after each answered call (:mod:`ivr.ami.media_finish`);
the marks are :func:`ivr.core.media_marks.marks` over the newest :data:`RECENT` checks.
"""
from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.core.media_marks import Mark, Scored, marks
from ivr.core.staff import Role
from ivr.errors import IvrError
from ivr.logs import get_logger
from ivr.store.media_checks import MediaCheck
from ivr.store.users import User
from ivr.web.auth import page
from ivr.web.render import render

log = get_logger("ivr.web.media")
RECENT = 200


def media_of(console, number: str) -> MediaCheck | None:
    """The order's media check (None: not checked yet, or the database cannot say)."""
    try:
        return console.store.media_check(number)
    except IvrError as err:
        log.warning("media.check_unavailable", number=number, error=str(err))
        return None


def media_marks(store) -> list[Mark] | None:
    """Every agent phone and trunk of the newest checks with its mark (None: database unavailable)."""
    try:
        recent = store.recent_media(RECENT)
    except IvrError as err:
        log.warning("media.marks_unavailable", error=str(err))
        return None
    return marks(Scored(c.agent, c.trunk, c.mos, c.silent) for c in recent)


@page(Role.SUPERVISOR)
def wallboard_media(request: Request, user: User) -> Response:
    """The wallboard's media part (fetched by ``_wallboard_media.html`` every 15 s)."""
    return render(request, "_wallboard_media_marks.html", media_marks=media_marks(request.app.state.console.store))


class MediaFigures:
    """Each agent phone's and trunk's last calls' mean MOS and its mark, for ``/metrics``."""

    def __init__(self, found: list[Mark] | None) -> None:
        self.found = found

    def collect(self):
        if self.found is None:  # the database cannot say: no figure rather than a wrong one
            return
        mos = GaugeMetricFamily("ivr_media_mos", "Mean estimated MOS (ITU-T G.107) of the last calls of each "
                                "agent phone and trunk", labels=["kind", "name"])
        marked = GaugeMetricFamily("ivr_media_marked", "1 when the wallboard marks the agent phone or trunk: "
                                   "its last calls under MOS 3.6, or a side silent", labels=["kind", "name"])
        silent = GaugeMetricFamily("ivr_media_silent_calls", "Calls among the last of each agent phone and "
                                   "trunk with a side silent (one-way audio)", labels=["kind", "name"])
        for mark in self.found:
            if mark.mean_mos is not None:
                mos.add_metric([mark.kind, mark.name], mark.mean_mos)
            marked.add_metric([mark.kind, mark.name], int(mark.marked))
            silent.add_metric([mark.kind, mark.name], mark.silent)
        yield mos
        yield marked
        yield silent


routes = [Route("/wallboard/media", wallboard_media, methods=["GET"])]
