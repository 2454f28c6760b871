"""The words of the supervisors' and auditors' pages (part of :mod:`ivr.web.labels`)."""
from __future__ import annotations

WALLBOARD = {
    "title": "大屏监控", "queues": "队列实况", "queue": "队列", "all_queues": "全中心", "waiting": "排队",
    "longest": "最长等待", "logged_in": "签入坐席", "ready": "空闲", "busy": "通话/振铃/整理", "paused": "暂停",
    "answered": "今日接听", "abandoned": "今日放弃", "service_level": "15秒接通率",
    "service_level_hint": "15秒内接听 ÷（接听＋排队中放弃），GB/T 33358", "agents": "坐席状态", "today": "今日",
    "week": "本周", "kpi": "服务指标", "by_department": "按部门", "by_line": "按号码",
    "per_quarter": "今日每15分钟来电", "key_answered": "接听", "key_abandoned": "放弃", "key_other": "排队中、回拨或已知情",
    "before_queue": "其中排队前", "left_informed": "已知情", "callbacks": "回拨",
    "connection_rate_hint": "（坐席接听＋回拨接通）÷（来电－已知情离开）",
    "waiting_hour": "最近一小时排队人数", "offered": "来电", "no_feed": "未连接到话务系统：排队和坐席状态暂不可知。",
    "no_today": "工单数据库暂时无法访问：今日接听、放弃和接通率暂缺。", "updated": "更新于 {time}", "seconds": "{n}秒",
    "minutes": "{m}分{s:02d}秒", "hours": "{h}小时{m:02d}分", "no_calls_yet": "今天还没有来电。",
    "connection_rate": "接通率", "on_the_spot_rate": "当场办结率", "dispatched": "转办", "overdue": "超期",
    "on_time_rate": "按时办结率", "satisfaction": "平均满意度", "received": "受理", "rated": "评价数", "none": "—",
    "more": "另有 {n} 个来电较少的未列出。", "show_all": "全部显示", "show_fewer": "只显示前 12 个",
    "missed": "漏接回拨", "missed_hint": "排队等待后未接通即挂机的来电，由中心主动回拨",
    "missed_1h": "1小时内回拨", "missed_24h": "24小时内回拨", "missed_not_reached": "回拨未接通",
    "missed_rang_again": "再次来电已接听", "missed_waiting": "待回拨",
}

SUPERVISION = {
    "title": "督办", "overdue": "超期与督办工单", "replied": "待审核（单位已回复）", "callbacks": "待回访（市民评价1或2分）",
    "none_overdue": "没有超期或督办中的工单。", "none_replied": "没有待审核的工单。",
    "none_callbacks": "最近30天没有1分或2分的评价。", "supervise": "列入督办", "redispatch": "重新派单",
    "review_pass": "审核通过，归档", "review_fail": "不通过，退回重办", "callback": "记录回访", "reached": "已联系上市民",
    "not_reached": "未接通", "note": "意见", "note_hint": "督办意见、退回原因或回访情况", "unit": "承办单位",
    "same_unit": "原承办单位", "done": "已{step}：工单 {number}。",
    "review_passed": "审核通过：工单 {number} 已办结归档。", "review_failed": "审核不通过：工单 {number} 已退回{unit}重新办理。", "sign_late": "超期未签收",
    "overdue_reply": "超期未办结", "supervised": "督办中", "times": "第{n}次派单", "escalated": "已列入督办",
    "called_back": "已回访 {time}", "not_called_back": "未回访", "reply": "单位回复", "rating": "{n}分",
}

REPLAY = {
    "title": "录音调听", "search": "查询", "from": "开始日期", "to": "结束日期", "line": "拨打号码",
    "department": "部门", "agent": "坐席", "caller": "来电号码", "number": "工单号", "any": "全部",
    "results": "共 {n} 条", "too_many": "只显示最新的 {n} 条，请缩小查询范围。", "none": "没有符合条件、带录音的通话。",
    "play": "调听", "download": "下载录音", "recording": "录音", "manifest_hash": "登记的 SHA-256",
    "now_hash": "现在的 SHA-256", "now_size": "现在的大小", "removed_on": "删除时间", "size": "大小",
    "check": "核验", "checked_at": "播放时核验于 {time}", "holds": "法律保全", "hold": "设置法律保全",
    "hold_reason": "保全原因（投诉、调查、诉讼编号等）", "held": "已设置法律保全：保全期间录音不会被自动删除。", "released": "已解除法律保全。",
    "release": "解除保全", "held_by": "{who} 于 {time} 设置：{reason}",
    "released_by": "已由 {who} 于 {time} 解除", "no_holds": "未设置法律保全。到期后按保存期限自动删除。",
    "kept_for_ever": "未设置保存期限：录音不会被自动删除。", "keep_days": "保存期限 {n} 天，约 {date} 后自动删除（法律保全期间除外）。",
    "quality": "质检评分", "score": "得分", "comment": "评语", "save_score": "保存评分",
    "scored": "已保存评分：{score} 分。", "no_scores": "尚未质检。",
    "bad_dates": "日期格式应为 2020-06-01，且开始日期不晚于结束日期。", "bad_filter": "查询条件无效：{what}",
}

CHECK = {
    "ok": "与登记一致，未被改动", "altered": "已被改动！与登记的大小或 SHA-256 不一致", "missing": "录音文件缺失",
    "removed": "已按保存期限删除", "unlisted": "尚未登记（通话刚结束，正在计算校验值）", "outside": "录音路径不在录音目录内，拒绝访问",
    "none": "本工单没有录音",
}

MARK = {0: "未做到", 1: "很差", 2: "较差", 3: "合格", 4: "良好", 5: "优秀"}

ACCESS = {
    "title": "录音访问日志", "export": "导出 CSV", "seq": "序号", "at": "时间", "user": "用户", "role": "角色",
    "address": "来源地址", "action": "操作", "what": "对象", "result": "结果",
    "chain_ok": "哈希链完整：{n} 条记录，最后一条 #{seq}。", "chain_broken": "哈希链校验失败：", "empty": "还没有访问记录。",
    "older": "更早的记录",
}

# the access log's CSV columns (ivr.access_log.FIELDS): prev and hash are the chain's own
ACCESS_CSV = {"seq": "序号", "at": "时间", "user": "用户", "role": "角色", "address": "来源地址", "action": "操作",
              "what": "对象", "result": "结果", "prev": "上一条哈希", "hash": "本条哈希"}
# the words a logged search or object keeps (ivr.web.replay), as the page shows them
ACCESS_WHAT = {"from": "起", "to": "止", "caller": "来电号码", "line": "拨打号码", "agent": "坐席", "number": "工单号",
               "(no filter)": "（无条件）", "access log": "访问日志", "(filtered)": "（按条件筛选）"}


def access_what(text: str) -> str:
    """A logged object in words: "from=2020-06-01; caller=139..." is 起 2020-06-01；来电号码 139..."""
    parts = []
    for part in text.split("; "):
        key, sep, value = part.partition("=")
        parts.append(f"{ACCESS_WHAT.get(key, key)} {value}" if sep else ACCESS_WHAT.get(part, part))
    return "；".join(parts)


# results written as single words (an order opened, an export, a seek)
ACCESS_RESULT = {"ok": "成功", "refused": "拒绝", "removed": "已删除"}


def access_result(text: str) -> str:
    """A logged result in words: "24 found" is 找到 24 条, "ok" is 成功."""
    count, _, rest = text.partition(" ")
    if rest == "found" and count.isdigit():
        return f"找到 {count} 条"
    return ACCESS_RESULT.get(text, text)


ACTION = {"search": "查询", "order": "查看工单", "play": "播放", "seek": "拖动播放", "download": "下载", "hold": "设置保全",
          "release": "解除保全", "score": "质检评分", "export": "导出日志", "erase": "删除号码", "view": "查看"}

NAV = {"wallboard": "大屏", "supervision": "督办", "orders": "工单", "recordings": "录音调听",
       "access_log": "访问日志", "notices": "热点播报", "callbacks": "回拨"}

# the callback requests page (/callbacks): the same requests as `ivr callbacks list`
CALLBACKS = {
    "title": "回拨登记", "requests": "回拨登记", "all": "全部", "none": "没有回拨登记。",
    "rule": "同一号码同时只登记一次回拨（再次登记并入原登记）；每个号码每天最多回拨 {n} 次，超出的登记被拒绝，来电者继续排队。",
    "requested_at": "登记时间", "number": "回拨号码", "queue": "队列", "via_title": "登记方式",
    "status_title": "状态", "tries": "拨打次数", "reason": "说明", "no_number": "（无号码）",
    "newest": "只显示最新的 {n} 条。",
    "via": {"queue_key": "排队时按2", "notice_key": "听播报后按2", "wait_offer": "等待提示时按2",
            "missed": "漏接回拨（排队后挂机）"},
    "status": {"waiting": "等待回拨", "calling": "正在回拨", "answered": "已回拨接通", "failed": "未接通",
               "joined": "已并入原登记", "refused": "已拒绝"},
    "joined_to": "该号码已有未完成的回拨登记 #{id}，本次并入，不再另行回拨",
    "why_refuse_today": "该号码今天的回拨次数已达上限，拒绝登记（来电者继续排队）",
    "why_refuse_number": "该号码不是可回拨的号码（只回拨本地固话和手机），拒绝登记（来电者继续排队）",
    "why_failed": "拨打 {n} 次均未接通",
    "why_rang_again": "市民再次来电并已接听，不再回拨",
}

# the incident notices page (/notices): the same words as `ivr notices`
NOTICES = {"title": "热点播报", "add": "发布播报", "lines": "号码（每行一个）", "queues": "队列",
           "from": "开始时间", "until": "结束时间", "text": "播报内容", "text_hint": "例：城东水厂爆管，城东镇停水，预计18点恢复。",
           "in_force": "播报中及待播", "none": "当前没有播报", "end": "结束播报", "by": "发布人",
           "ended": "已结束", "added": "播报 #{id} 已发布", "ended_done": "播报 #{id} 已结束",
           "keys": "来电者听完后：按1挂机（已知情），按2登记回拨，不按键继续排队。",
           "ended_early": "已提前结束", "ended_at": "结束于"}


def duration(seconds: int | float | None) -> str:
    """Seconds as a supervisor reads them: 45秒, 3分05秒, 1小时02分."""
    if seconds is None:
        return WALLBOARD["none"]
    n = max(0, int(seconds))
    if n < 60:
        return WALLBOARD["seconds"].format(n=n)
    if n < 3600:
        return WALLBOARD["minutes"].format(m=n // 60, s=n % 60)
    return WALLBOARD["hours"].format(h=n // 3600, m=n % 3600 // 60)


def percent(value: float | None) -> str:
    return WALLBOARD["none"] if value is None else f"{value * 100:.1f}%"


# A recording held against its call's talk time (ivr.core.recording_check), and the recordings' disk
RECORDING = {
    "complete": "录音完整：录音 {recorded} 秒 / 通话 {talk} 秒",
    "short": "录音不完整：录音 {recorded} 秒 / 通话 {talk} 秒",
    "empty": "录音为空：{size} 字节，录音 {recorded} 秒 / 通话 {talk} 秒",
    "unreadable": "录音文件无法读取：{size} 字节 / 通话 {talk} 秒",
    "missing": "录音缺失：没有录音文件 / 通话 {talk} 秒",
    "unknown": "未知", "pending": "录音尚未核对（通话刚结束）",
    "storage": "录音存储", "free": "剩余空间 {free} / 共 {total}（低于 {threshold} 时告警）",
    "low": "录音磁盘空间不足！磁盘写满后，通话录音会不完整或丢失。请尽快清理或扩容。",
    "unreadable_disk": "无法读取录音磁盘的剩余空间：{error}", "flagged": "录音不完整的工单：{n} 个（下列最近的 {shown} 个）",
    "flagged_unknown": "录音不完整的工单：暂时无法查询（工单数据库不可用）", "none_flagged": "没有录音不完整的工单。",
}


def recording_flag(check) -> str:
    """A recording check in words: 录音不完整：录音 2.3 秒 / 通话 6.0 秒 (None: not judged yet)."""
    if check is None or not check.verdict:
        return RECORDING["pending"]
    return RECORDING.get(check.verdict, check.verdict).format(
        recorded=_tenths(check.recorded_seconds), talk=_tenths(check.talk_seconds), size=f"{check.size or 0:,}")


def megabytes(n: int) -> str:
    """Bytes as a supervisor reads them: 950 MB, 12.5 GB."""
    return f"{n / (1 << 30):,.1f} GB" if n >= 1 << 30 else f"{n / (1 << 20):,.0f} MB"


def _tenths(seconds: float | None) -> str:
    return RECORDING["unknown"] if seconds is None else f"{seconds:.1f}"
