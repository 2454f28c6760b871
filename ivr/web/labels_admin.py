"""The words of the admin's routing-rules pages (part of :mod:`ivr.web.labels`)."""
from __future__ import annotations

RULES = {
    "title": "路由规则管理",
    "in_force": "当前生效版本",
    "no_version": "尚无版本记录",
    "parts": "各部件持有的版本",
    "part": "部件",
    "pid": "进程",
    "state": "状态",
    "version": "版本",
    "edit": "编辑规则文件",
    "edit_hint": "修改后先“检查”：问题会标在行号旁，什么都不会生效，直到您填写说明并发布。",
    "check": "检查",
    "upload": "上传文件",
    "upload_button": "上传并检查",
    "history": "历史版本",
    "audit": "审计记录",
    "when": "时间",
    "who": "操作人",
    "how": "方式",
    "why": "说明",
    "step": "步骤",
    "outcome": "结果",
    "rollback": "回滚到此版本",
    "rollback_why": "回滚原因（必填：为什么回到这个版本）",
    "rollback_title": "回滚到版本 {number}：先看会有什么变化",
    "rollback_what": "回滚后，生效的将是版本 {number} 的内容（{at}，{who}），记为一个新版本。下面是它与当前生效版本相比对来电的影响；确认前还可以用真实来电预估。",
    "rollback_confirm": "确认回滚",
    "rollback_button": "回滚到版本 {number}",
    "rolled_back": "已回滚：现在所有部件生效的是版本 {restores} 的内容（记为新版本 {number}）。",
    "reverted": "已撤回",
    "candidate": "待发布的规则",
    "check_ok": "检查通过：{lines} 条线路，{queues} 个队列，{agents} 名坐席。",
    "check_bad": "发现 {n} 处问题，规则未生效。请修改后重新检查。",
    "prompts_checked": "提示音已对照本机 Asterisk 逐一核对。",
    "diff": "对来电的影响（与当前生效版本相比）",
    "no_changes": "与当前生效版本相比，对来电没有任何变化。",
    "preview": "影响预估（用真实来电重放）",
    "preview_days": "重放最近",
    "preview_run": "预估",
    "preview_summary": "最近 {days} 天共 {calls} 通来电，新规则下 {elsewhere} 通会改变去向（重放用时 {seconds} 秒）。",
    "line": "线路",
    "mode": "模式",
    "department": "部门",
    "calls": "来电",
    "elsewhere": "改变去向",
    "moves": "去向变化",
    "changed_calls": "会改变去向的来电",
    "caller": "来电号码",
    "dialled": "拨打号码",
    "from": "原去向",
    "to": "新去向",
    "scheduled": "今后 {days} 天的日程变化（新规则下）",
    "new_event": "新",
    "apply": "发布",
    "apply_why": "发布说明（必填：为什么修改）",
    "apply_button": "发布到所有部件",
    "applied": "已发布：版本 {number} 已在所有部件生效。",
    "refused": "未发布：{reason}",
    "reverted_note": "有部件未能跟上，已恢复原文件。",
    "back": "返回规则管理",
    "back_editing": "返回修改（保留您刚才的修改）",
    "editing_kept": "下面是您刚才检查的内容，不是当前生效的文件：改好后再点“检查”。",
    "need_why": "请填写说明（一行，最多 500 字）",
    "bad_file": "无法读取文件：{reason}",
    "too_big": "文件太大：最多 1 MB",
}
CHANGE = {
    "line_added": "新增线路", "line_removed": "删除线路", "line_changed": "线路变更",
    "agent_added": "新增坐席", "agent_removed": "删除坐席", "agent_moved": "坐席调整队列",
    "queue_added": "新增队列", "queue_removed": "删除队列", "queue_changed": "队列变更",
    "hours_added": "新增工作时间", "hours_removed": "删除工作时间", "hours_changed": "工作时间变更",
    "calendar_confirmed": "节假日安排已确认", "calendar_unconfirmed": "节假日安排改为暂定",
    "days_closed": "改为休息日", "days_opened": "改为工作日",
    "holiday_added": "新增节假日", "holiday_removed": "删除节假日",
    "workday_added": "新增调休工作日", "workday_removed": "删除调休工作日",
    "prompt_changed": "提示音变更", "department_added": "新增部门", "department_removed": "删除部门",
    "department_changed": "部门更名", "centre_changed": "中心设置变更",
}
PART = {"routing": "路由引擎", "work_orders": "工单（办理期限日历）", "console": "工作台", "asterisk": "Asterisk（队列、坐席、拨号方案）"}
PART_STATE = {"follows": "已跟上", "running": "运行中", "holds another version": "持有其他版本", "not running": "未运行（启动时读取生效版本）",
              "did not follow": "未能跟上", "refused": "拒绝"}
RULES_ACTION = {"apply": "发布", "rollback": "回滚", "disk": "手工编辑文件", "upload": "上传", "edit": "在线编辑",
                "preview": "影响预估", "edited_on_disk": "发现手工编辑", "check": "检查"}
RULES_OUTCOME = {"ok": "成功", "refused": "被拒绝", "failed": "失败并已恢复", "problems": "检查未通过"}
LINE_FIELD = {"mode": "模式", "department": "部门", "queue": "队列", "overflow_queue": "溢出队列",
              "overflow_after": "溢出等待（秒）", "destination": "部门自有号码", "schedule": "工作时间",
              "dial_timeout": "振铃时长（秒）", "fallback_queue": "未接转入队列", "go_live": "过渡期开始",
              "retire_on": "停用日期", "after_retirement": "停用后", "name": "名称", "queues": "所属队列",
              "hours": "时间", "prompts": "提示音", "strategy": "分配策略", "ring_timeout": "坐席振铃（秒）",
              "wrapup_time": "话后整理（秒）", "announce_every": "排队播报间隔（秒）",
              "callback_offer_after": "预计等待超过（秒）提供回拨", "handle_time": "单次通话处理时长（秒）", "name_zh": "中文名", "name_en": "英文名", "main_line": "主号",
              "general_queue": "综合队列", "timezone": "时区", "area_code": "区号"}
EVENT = {"sunset_starts": "过渡期开始", "retired": "号码停用", "holiday": "节假日", "workday": "调休工作日"}

# The holiday calendar (ivr.core.holiday_calendar): a year is confirmed when the rules list its
# holidays (the State Council's notice entered), provisional otherwise (the statutory holidays).
CALENDAR = {
    "title": "节假日日历",
    "hint": "规则文件中列出某一年的节假日，即视为该年放假安排已确认；未列出的年份按法定节假日推算（暂定），"
            "并联线路和工单办理期限照此执行。国务院办公厅发布次年放假通知后，请将节假日和调休工作日录入规则文件，检查并发布。",
    "confirmed": "已确认（规则文件中的放假安排）",
    "provisional": "按法定节假日推算，尚未录入{year}年国务院放假通知",
    "provisional_known": "按法定节假日推算（含已知的调休安排），规则文件未列出{year}年放假安排",
    "provisional_tag": "暂定",
    "holiday": "放假", "workday": "调休上班",
    "none": "本年没有节假日或调休工作日。",
    "warning": "节假日日历即将用完：{year}年的放假安排尚未录入路由规则（还剩 {days} 天）。届时并联线路和工单办理期限"
               "将按法定节假日推算（暂定），调休上班日未知。请在国务院办公厅发布{year}年放假通知后，将节假日和调休工作日"
               "录入路由规则，检查并发布。",
    "warning_now": "{year}年的放假安排尚未录入路由规则：并联线路和工单办理期限正按法定节假日推算（暂定）。请尽快将"
                   "国务院办公厅{year}年放假通知中的节假日和调休工作日录入路由规则，检查并发布。",
    "changed_confirmed": "{year}年放假安排已录入，取代按法定节假日推算的暂定日历",
    "changed_unconfirmed": "{year}年不再有已确认的放假安排，改按法定节假日推算（暂定）",
    "changed_closed": "部门休息，并联线路全天转12345，不计入办理期限的工作日（{name}；现行规则下为工作日）",
    "changed_opened": "部门上班，计入办理期限的工作日（{why}；现行规则下为休息日）",
    "make-up working day": "调休上班", "no longer a holiday": "不再是节假日",
}


def calendar_change(change) -> str | None:
    """A diff line about the calendar (ivr.core.rules_diff) in words; None for the other kinds."""
    c = CALENDAR
    if change.kind == "calendar_confirmed":
        return c["changed_confirmed"].format(year=change.subject)
    if change.kind == "calendar_unconfirmed":
        return c["changed_unconfirmed"].format(year=change.subject)
    if change.kind == "days_closed":
        return c["changed_closed"].format(name=change.new or c["holiday"])
    if change.kind == "days_opened":
        return c["changed_opened"].format(why=c.get(change.new, change.new))
    return None


def route(value: str) -> str:
    """Where a call goes (ivr.core.replay.route_of: "queue:q12345", "dial:0513...>q12345") in words."""
    if value == "prompt_only":
        return "仅播放提示音后挂机"
    kind, _, rest = value.partition(":")
    first, _, then = rest.partition(">")
    if kind == "dial":
        return f"部门自有号码 {first}（未接通转 {then}）"
    return f"队列 {first}" + (f"（溢出至 {then}）" if then else "")


def scheduled(event, departments) -> str:
    """A dated event of the preview (ivr.core.replay.Scheduled) in words."""
    name = departments[event.department].name_zh if event.department in departments else event.department
    if event.kind == "retired":
        after = "播放“号码已停用”后挂机" if event.after_retirement == "prompt_only" else "播放“号码已停用”后转12345"
        return f"{event.subject}（{name}）停用：{after}"
    if event.kind == "sunset_starts":
        return f"{event.subject}（{name}）进入过渡期：先播放停用预告，再转12345"
    mark = f"（{CALENDAR['provisional_tag']}：按法定节假日推算）" if getattr(event, "provisional", False) else ""
    if event.kind == "holiday":
        return f"{event.subject}：并联线路全天转12345，不计入办理期限的工作日{mark}"
    return f"部门上班，计入办理期限的工作日{mark}"


# The names the rules file and the statutory calendar give holidays (ivr.core.statutory.FESTIVALS),
# and the words the versions' history keeps in English (ivr.store.rules_versions).
HOLIDAY = {"New Year's Day": "元旦", "Spring Festival": "春节", "Qingming": "清明节", "Labour Day": "劳动节",
           "Dragon Boat Festival": "端午节", "Mid-Autumn": "中秋节", "National Day": "国庆节", "Day off": "休息日"}
VERSION_WORDS = {
    "edited on disk": "（直接修改文件）",
    "the file in force when versions were first kept": "开始保存版本时正在生效的规则文件",
    "the file was changed by hand, not through `ivr rules apply`": "规则文件被直接修改（没有经过工作台或发布命令）",
}


def holiday(name: str) -> str:
    """A holiday's name in Chinese: "Dragon Boat Festival 2020" is 端午节 2020, "A and B 2021" is A、B 2021."""
    head, _, year = name.rpartition(" ")
    if not (year.isdigit() and head):
        head, year = name, ""
    words = "、".join(HOLIDAY.get(part, part) for part in head.split(" and "))
    return f"{words} {year}".strip()


def version_words(text: str | None) -> str:
    return VERSION_WORDS.get(text or "", text or "")


def diff_value(text: str | None, departments=None, queues=None) -> str:
    """One side of a rules change in words: "parallel (department=justice, destination=0513...)" is
    并联整合（部门 司法局，…）; a bare mode, department or queue id is its name."""
    from ivr.web.labels import MODE  # the one table of modes (labels imports this module)

    def name(value: str) -> str:
        if departments and value in departments:
            return departments[value].name_zh
        if queues and value in queues:
            return queues[value].name_zh
        return MODE.get(value, value)

    text = text or ""
    head, sep, rest = text.partition(" (")
    if sep and rest.endswith(")") and head in MODE:
        params = []
        for part in rest[:-1].split(", "):
            key, eq, value = part.partition("=")
            params.append(f"{LINE_FIELD.get(key, key)} {name(value)}" if eq else part)
        return f"{MODE[head]}（{'，'.join(params)}）"
    return name(text)
