"""The console's words for each call's media (:mod:`ivr.web.media`): the silent side, the MOS."""
from __future__ import annotations

MEDIA = {
    "title": "通话质量", "agent_silent": "坐席侧无声音", "caller_silent": "市民侧无声音",
    "mos": "通话质量（MOS 估计）：坐席听到 {agent} · 市民听到 {caller}",
    "mos_unknown": "通话质量：没有媒体数据", "poor": "（低于 3.6，较差）",
    "packets": "收到的语音包：市民侧 {caller}（丢失 {caller_lost}）· 坐席侧 {agent}（丢失 {agent_lost}）",
    "pending": "通话质量尚未核对（通话刚结束）",
    "marks": "通话质量提醒", "none_marked": "最近的通话质量正常。", "unavailable": "暂时无法查询通话质量（工单数据库不可用）",
    "agent": "坐席", "trunk": "中继线路", "mark": "{kind} {name}：最近 {calls} 通平均 MOS {mos}，{silent} 通单向无声",
}


def media_flag(check) -> str:
    """The silent side(s) in words ("" when both sides were heard)."""
    return "；".join(MEDIA[f"{side}_silent"] for side in check.silent if f"{side}_silent" in MEDIA)


def media_score(check) -> str:
    """The MOS of both directions in words, with 较差 under the threshold."""
    if check.mos is None:
        return MEDIA["mos_unknown"]
    text = MEDIA["mos"].format(agent=_mos(check.agent_heard_mos), caller=_mos(check.caller_heard_mos))
    return text + (MEDIA["poor"] if check.poor else "")


def media_mark(mark) -> str:
    return MEDIA["mark"].format(kind=MEDIA[mark.kind], name=mark.name, calls=mark.calls,
                                mos=_mos(mark.mean_mos), silent=mark.silent)


def _mos(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
