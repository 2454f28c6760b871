"""What the demo's agents write on each order at the desk, as a person would: pure.

The report the project comes from: 78.72 % of matters answered on the spot, the rest dispatched
to the responsible unit. The demo's agents close three orders in four on the spot (a
consultation answered from the knowledge base) and dispatch the fourth to the department whose
line was dialled (or, for 12345 itself, to a unit that fits the matter), so the KPI report at the
end shows both. The matters are plausible calls to each department, in Chinese.
"""
from __future__ import annotations

from dataclasses import dataclass

from ivr.core.rules import Rules

DISPATCH_EVERY = 4  # one order in four is dispatched; the rest are answered on the spot

# department id -> (title, description, place) of a matter citizens call it about
MATTERS: dict[str, tuple[str, str, str]] = {
    "water": ("小区停水何时恢复", "市民反映城东片区自早上起停水，询问恢复供水时间。", "城东片区"),
    "power_supply": ("路口变压器异响", "市民反映路口变压器夜间有异响，担心安全。", "人民路与环城路交叉口"),
    "gas": ("燃气表读数异常", "市民反映本月燃气费明显偏高，怀疑燃气表故障。", ""),
    "women_federation": ("家庭纠纷求助", "市民来电寻求家庭矛盾调解帮助。", ""),
    "culture_tourism": ("景区门票优惠咨询", "市民询问老年人景区门票优惠政策。", ""),
    "relief_station": ("发现流浪人员", "市民反映桥洞下有流浪人员需要救助。", "通海大桥桥洞"),
    "agriculture": ("农田灌溉渠堵塞", "市民反映村里灌溉渠被杂物堵塞。", "掘港镇"),
    "approval": ("营业执照办理", "市民询问个体户营业执照办理流程。", ""),
    "justice": ("法律援助申请", "市民询问申请法律援助的条件。", ""),
    "library": ("图书馆开放时间", "市民询问县图书馆周末开放时间。", ""),
    "transport": ("公交站牌损坏", "市民反映公交站牌被风吹倒，影响候车。", "长江路公交站"),
    "natural_resources": ("不动产登记办理材料", "市民询问不动产登记需带哪些材料。", ""),
    "urban_management": ("占道经营影响通行", "市民反映夜市摊位占用人行道。", "青园路"),
    "environment": ("工厂夜间排放异味", "市民反映附近工厂夜间有刺鼻气味。", "开发区北区"),
    "hrss": ("社保卡丢失补办", "市民询问社保卡丢失后如何挂失补办。", ""),
    "street_lighting": ("路灯不亮", "市民反映一段路灯连续三晚不亮。", "海防路"),
}
DEFAULT_MATTER = ("政策咨询", "市民来电咨询相关政策，已按知识库解答。", "")
# where a dispatched 12345 call goes when the line itself names no department
MAIN_LINE_UNIT = "water"


@dataclass(frozen=True)
class DeskStep:
    """One order as the agent completes it at the desk."""

    number: str
    agent: str
    outcome: str          # "close" (answered on the spot) or "dispatch"
    category: str
    title: str
    description: str
    place: str = ""
    unit: str = ""        # dispatch only


def plan_desk(tickets: list[dict], rules: Rules) -> list[DeskStep]:
    """The step for every order still waiting at the desk (status received), in order."""
    steps = []
    waiting = [t for t in tickets if t.get("status") == "received" and t.get("agent")]
    for index, ticket in enumerate(sorted(waiting, key=lambda t: t["number"])):
        department = ticket.get("department") or ""
        title, description, place = MATTERS.get(department, DEFAULT_MATTER)
        dispatch = index % DISPATCH_EVERY == DISPATCH_EVERY - 1
        if dispatch:
            unit = department if department in rules.departments and department != "centre" else MAIN_LINE_UNIT
            steps.append(DeskStep(ticket["number"], ticket["agent"], "dispatch", "help_request", title,
                                  description, place, unit))
        else:
            steps.append(DeskStep(ticket["number"], ticket["agent"], "close", "consultation", title,
                                  description + "已当场答复。", place))
    return steps


def account_name(agent: str) -> str:
    """The demo's staff login for the agent at phone ``agent``."""
    return f"demo-{agent}"
