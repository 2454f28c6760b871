"""What a node's death did to the calls: judged from the carrier's and Kamailio's records.

Pure: :func:`judge` takes the calls as the carrier saw them (:func:`ivr.cluster.calls.read_calls`),
what Kamailio did (:func:`ivr.cluster.calls.read_front`), the dead node's address and the
moment of the fault, and says, for the failover test and the demo:

- **cut**: calls the dead node had answered and was carrying (lost with it: counted, printed);
- **retried**: INVITEs sent to the dead node that it never answered (in flight at its death, or
  sent before Kamailio knew), each retried on another node: the caller must never hear an error;
- **failed after**: calls begun after the fault that were not answered or not ended (must be 0);
- **switch**: how long after the fault Kamailio still sent new calls to the dead node first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ivr.cluster.calls import CallRecord, FrontLog


@dataclass
class FailoverReport:
    node: str                     # the dead node's address
    fault_at: float
    calls: int = 0
    before: int = 0               # calls begun before the fault
    after: int = 0                # calls begun after it
    cut: list[str] = field(default_factory=list)          # answered by the dead node, then lost
    retried: list[str] = field(default_factory=list)      # sent to the dead node, answered elsewhere
    stranded: list[str] = field(default_factory=list)     # sent to the dead node, never answered
    failed_after: list[str] = field(default_factory=list)  # begun after the fault, not answered or not ended
    failed_other: list[str] = field(default_factory=list)  # on a live node, yet not ended
    last_new_to_dead: float | None = None  # seconds after the fault of the last new call sent there first
    marked_down: float | None = None       # seconds after the fault the node was first found silent/down
    by_node: dict[str, int] = field(default_factory=dict)  # answered calls per node address

    @property
    def switch_seconds(self) -> float:
        """How long new calls still went to the dead node first (0: none did)."""
        return max(0.0, self.last_new_to_dead or 0.0)

    @property
    def held(self) -> bool:
        """No caller heard an error but those the dead node was already carrying."""
        return not (self.failed_after or self.failed_other or self.stranded)

    def lines(self) -> list[str]:
        marked = f"{self.marked_down:.2f} s" if self.marked_down is not None else "not seen"
        return [
            f"node {self.node} lost (times below from that moment); {self.calls} calls "
            f"({self.before} begun before, {self.after} after); answered per node: "
            + ", ".join(f"{node} {n}" for node, n in sorted(self.by_node.items())),
            f"  found silent or down by Kamailio after {marked}; last new call sent there first "
            f"{self.switch_seconds:.2f} s after the fault",
            f"  calls in progress on the dead node, lost with it: {len(self.cut)}"
            + (f" ({', '.join(self.cut)})" if self.cut else ""),
            f"  INVITEs sent to it and never answered there, retried on another node: {len(self.retried)}"
            + (f" ({', '.join(self.retried)})" if self.retried else ""),
            f"  calls begun after the fault that failed: {len(self.failed_after)}; other failures: "
            f"{len(self.failed_other) + len(self.stranded)}",
        ]


def judge(calls: dict[str, CallRecord], front: FrontLog, dead: str, fault_at: float) -> FailoverReport:
    report = FailoverReport(node=dead, fault_at=fault_at, calls=len(calls))
    for call in sorted(calls.values(), key=lambda c: c.invited_at):
        tries = front.tries(call.call_id)
        sent_to_dead = any(t.node == dead for t in tries)
        if call.answered_at is not None:
            report.by_node[call.node] = report.by_node.get(call.node, 0) + 1
        if call.invited_at < fault_at:
            report.before += 1
        else:
            report.after += 1
            if tries and tries[0].node == dead:
                seconds = tries[0].at - fault_at
                report.last_new_to_dead = max(report.last_new_to_dead or seconds, seconds)
        if call.node == dead and call.answered_at is not None and call.answered_at < fault_at:
            if call.outcome == "cut":
                report.cut.append(call.call_id)
            continue
        if sent_to_dead and call.node != dead:
            (report.retried if call.outcome == "ended" else report.stranded).append(call.call_id)
            continue
        if call.outcome != "ended":
            (report.failed_after if call.invited_at >= fault_at else report.failed_other).append(call.call_id)
    marks = [at - fault_at for kind in ("node-silent", "node-down") for at in front.marks(dead, kind)
             if at >= fault_at]
    report.marked_down = min(marks) if marks else None
    return report
