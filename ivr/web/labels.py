"""Every word the console shows, in Chinese, in one place (templates read them as ``L``).

Keys are the project's own names (categories, statuses, steps, roles), so the same word is
used for the same thing in the YAML, the Python and the page.
"""
from __future__ import annotations

CATEGORY = {
    "consultation": "咨询",
    "help_request": "求助",
    "suggestion": "建议",
    "complaint": "投诉",
    "report": "举报",
}

STATUS = {
    "received": "待填写",
    "closed": "当场办结",
    "dispatched": "已转办",
    "signed": "已签收",
    "replied": "已回复",
    "archived": "已归档",
}

STEP = {
    "receive": "受理（坐席接听）",
    "close": "当场办结",
    "dispatch": "转办承办单位",
    "sign": "单位签收",
    "reply": "单位回复",
    "review": "督办审核",
    "rate": "市民评价",
    "mark_overdue": "标记超期",
    "escalate": "列入督办",
    "redispatch": "重新派单",
    "callback": "回访",
    "transfer": "转接部门",
}

# The browser phone's states (/phone, ivr/web/static/phone.js).
PHONE_STATE = {"connecting": "正在连接话机……", "registered": "话机已就绪，等待来电", "ringing": "来电振铃",
               "in_call": "通话中", "offline": "话机已断开", "error": "话机出错，请刷新页面"}

# How an agent put the citizen through to a department's line (ivr.core.agent_phone.TransferKind).
TRANSFER_KIND = {"blind": "直接转接", "attended": "咨询后转接", "threeway": "三方通话"}

ROLE = {"agent": "坐席", "supervisor": "督办员", "auditor": "质检员", "admin": "管理员"}

MODE = {"main": "12345主号", "forward": "呼叫转移", "sunset": "短期过渡", "dedicated": "专席受理",
        "parallel": "并联整合"}

OUTCOME = {"close": "当场解答，办结", "dispatch": "转办到承办单位"}

# An agent's state as Asterisk reports it (ivr.core.presence.AgentState), and why it is paused.
AGENT_STATE = {
    "logged_out": "未签入",
    "ready": "空闲，等待来电",
    "ringing": "来电振铃中",
    "talking": "通话中",
    "wrapup": "话后整理",
    "paused": "暂停接听",
    "unavailable": "话机未连接",
}

PAUSE_REASON = {"break": "休息", "training": "培训", "meeting": "会议", "after_call_work": "话后处理"}

FIELD = {
    "category": "诉求类别",
    "urgent": "紧急",
    "title": "标题",
    "description": "诉求内容",
    "place": "事发地点",
    "outcome": "处理方式",
    "unit": "承办单位",
    "article": "参考知识",
    "sign_by": "签收期限",
    "due": "办结期限",
    "line": "拨打号码",
    "queue": "队列",
    "agent": "坐席",
    "note": "备注",
    "text": "回复内容",
    "on_time": "按时",
    "passed": "审核通过",
    "rating": "评分",
    "source": "来源",
    "reason": "原因",
    "what": "超期项",
    "deadline": "期限",
    "reached": "联系上市民",
    "to": "转接号码",
    "department": "部门",
    "kind": "转接方式",
    "dialled": "坐席拨号",
}

TEXT = {
    "app": "12345 坐席工作台",
    "login": "登录",
    "logout": "退出",
    "username": "登录名",
    "password": "密码",
    "desk": "我的工作台",
    "orders": "工单",
    "my_orders": "待填写的工单",
    "no_orders": "没有待填写的工单。接听来电后，新工单会出现在这里。",
    "has_draft": "有草稿",
    "save": "保存工单",
    "draft_saved": "草稿已自动保存",
    "draft_restored": "已恢复您上次未保存的填写内容",
    "deadline": "办理期限",
    "sign_by": "单位签收期限",
    "due": "办结期限",
    "close_no_deadline": "当场办结，不需要办理期限。",
    "pick_category": "选择诉求类别后显示办理期限。",
    "kb": "知识库",
    "kb_search": "搜索知识库",
    "kb_hint": "输入关键词，如：停水、路灯",
    "kb_none": "没有找到有效的知识条目。",
    "kb_use": "采用此条",
    "kb_used": "本工单参考了",
    "kb_remove": "不再采用",
    "live": "来电信息",
    "live_idle": "等待来电……",
    "saved_close": "工单 {number} 已当场办结。",
    "saved_dispatch": "工单 {number} 已转办{unit}，办结期限 {due}。",
    "refused": "流程不允许这一步：工单当前状态为「{state}」，不能「{step}」。现在允许：{allowed}。",
    "none_allowed": "无（工单已结束）",
    "caller": "来电号码",
    "line": "拨打号码",
    "taken_in": "受理时间",
    "history": "办理经过",
    "actor": "操作人",
    "back_to_list": "返回工单列表",
    "required": "必填",
    "optional": "选填",
    "limit_chars": "最多 {n} 字",
    "phone": "网页话机",
    "phone_answer": "接听",
    "phone_hangup": "挂断",
    "phone_hint": "来电时点击「接听」，通话结束时点击「挂断」。",
    "phone_not_browser": "您的话机 {phone} 是软电话，不是网页话机：请在软电话上登录。",
    "my_state": "我的状态",
    "since": "自 {time} 起",
    "state_unknown": "暂时无法取得话务状态（未连接到话务系统）。",
    "log_in_queues": "签入，开始接听",
    "log_out_queues": "签出",
    "pause": "暂停接听",
    "resume": "恢复接听",
    "pause_reason": "暂停原因",
    "sent_waiting": "已发送，等待话务系统确认……",
    "queues": "所在队列",
    "pop_title": "来电",
    "pop_line": "拨打",
    "pop_waiting_order": "正在生成工单……",
    "pop_order": "本次来电工单",
    "pop_fill": "填写本工单",
    "pop_earlier": "该号码以前的工单",
    "pop_no_earlier": "该号码以前没有工单。",
    "pop_unknown_caller": "未显示号码",
    "pick_an_order": "现在没有通话。接听来电后，本次来电的工单会在这里打开；要补填以前的工单，请在左边列表中选择。",
    "not_the_live_order": "注意：您正在通话的是工单 {live}，这张表单是另一位市民的工单 {number}。",
    "back_to_live": "回到本次来电的工单",
    "next_steps": "接下来可以",
    "escalate_here": "列入督办",
    "escalate_why": "督办原因（选填）",
    "urgent_box": "紧急（加急办理，期限缩短）",
}

ERROR = {
    "403_title": "没有权限",
    "403_text": "您的账号（{role}）不能查看这个页面。",
    "404_title": "页面不存在",
    "404_text": "没有找到您要的页面或工单。",
    "413_title": "提交的内容太大",
    "413_text": "一次提交最多 {limit}。请删减后再保存，页面上的内容不会丢失。",
    "500_title": "系统出错了",
    "500_text": "出现了意外错误，已记录在日志中。请稍后再试；如果一直出现，请联系管理员。",
    "503_title": "数据库暂时不可用",
    "503_text": "工单数据库暂时无法访问，请稍后再试。您填写的内容仍在页面上。",
    "csrf": "页面已过期或请求无效，请刷新页面后重试。",
    "login_refused": "登录名或密码不正确",
    "empty_title": "请填写标题",
    "empty_description": "请填写诉求内容",
    "too_long": "{field}最多 {limit} 字，现在有 {n} 字，请删减",
    "pick_category": "请选择诉求类别",
    "pick_outcome": "请选择处理方式",
    "pick_unit": "转办时请选择承办单位",
    "unknown_unit": "没有这个承办单位，请从列表中选择",
    "unknown_article": "这条知识已不存在或已失效",
    "not_yours": "这个工单不是由您受理的",
    "not_waiting": "工单 {number} 已处理（{status}），不在您的待办中",
    "no_phone": "您的账号没有绑定话机，不能签入队列。请联系管理员。",
    "bad_reason": "请选择暂停原因",
    "audit_unwritable": "访问日志暂时无法写入，为保证每次调听都有记录，本次操作已拒绝。请联系管理员。",
    "no_sheet": "质检评分表文件无法读取，暂时不能评分。请联系管理员。",
    "mark_missing": "请为「{name}」打分（0 到 {scale} 分）",
    "comment_too_long": "评语最多 1000 字",
    "hold_reason": "请填写保全原因（投诉、调查或诉讼编号等）",
}


# --- the admin's page of routing rules (/admin/rules) ------------------------------------------


# Who takes each step, and where (the order page says so rather than offer steps it cannot take).
STEP_BY = {"close": "受理坐席（工作台）", "dispatch": "受理坐席（工作台）", "sign": "承办单位", "reply": "承办单位",
           "review": "督办员（督办页）", "redispatch": "督办员（督办页）", "escalate": "督办员（本页或督办页）",
           "callback": "督办员（回访）", "rate": "市民（来电后按键评价）", "mark_overdue": "系统（定时检查）",
           "transfer": "坐席（通话中）"}


def next_steps(values: list[str]) -> str:
    """The steps the process allows now, each with who takes it."""
    return "；".join(f"{step(v)}：{STEP_BY.get(v, '—')}" for v in values) or TEXT["none_allowed"]


# Who took a step that no person took (ivr.store.tickets.INTAKE_ACTOR, ivr.core.workflow.SCHEDULER).
ACTOR = {"ami": "话务系统（接听时自动受理）", "scheduler": "系统（定时检查）"}


def seat(agent: str | None, staff: dict[str, str] | None = None) -> str:
    """An agent's phone id as people say it: the staff member logged to it, or "N号坐席"."""
    if not agent:
        return "—"
    if staff and agent in staff:
        return staff[agent]
    digits = "".join(c for c in agent if c.isdigit())
    return f"{digits}号坐席" if digits else agent


def actor(value: str | None, departments=None, staff: dict[str, str] | None = None) -> str:
    """Who took a step: a person's name, a unit's name, the system in words."""
    if not value:
        return "—"
    if value in ACTOR:
        return ACTOR[value]
    if departments and value in departments:
        return departments[value].name_zh
    if staff and value in staff:
        return staff[value]
    if value.startswith("agent") and value[5:].isdigit():  # a phone whose holder has no account
        return seat(value)
    return value


def category(value: str | None) -> str:
    return CATEGORY.get(value or "", value or "—")


def status(value: str | None) -> str:
    return STATUS.get(value or "", value or "—")


def step(value: str | None) -> str:
    return STEP.get(value or "", value or "—")


def steps(values: list[str]) -> str:
    """The steps allowed now, in words (for a refused step's message)."""
    return "、".join(step(v) for v in values) or TEXT["none_allowed"]


def history_value(key: str, value, departments, queues=None, staff: dict[str, str] | None = None) -> str:
    """One value of a history line in words: unit, queue and staff names, 是/否, times without seconds."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "category":
        return category(value)
    if key in ("unit", "department") and value in departments:
        return departments[value].name_zh
    if key == "queue" and queues and value in queues:
        return queues[value].name_zh
    if key == "agent":
        return seat(str(value), staff)
    if key == "kind":
        return TRANSFER_KIND.get(str(value), str(value))
    text = str(value)
    if key in ("sign_by", "due", "deadline") and len(text) >= 16 and text[10] == "T":
        return text[:16].replace("T", " ")
    return text


# --- supervisors and auditors: wallboard, supervision, recordings, access log, quality ---------


# The words of the admin's and the supervisors' and auditors' pages live beside this module, one
# file each; templates read every label as ``L.<NAME>``, so they are names of this module too.
from ivr.web.labels_admin import *  # noqa: E402,F401,F403
from ivr.web.labels_supervision import *  # noqa: E402,F401,F403
from ivr.web.labels_media import *  # noqa: E402,F401,F403
