"""Enumerations with their English values and Chinese labels.

Every enumeration accepts the English value or any of its Chinese labels
(``core`` or ``核心``); the stored value is always the English one. This module is
plain Python so the CLI can validate options without importing the database layer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from crmcli.errors import InvalidInput
from crmcli.i18n import N_


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return text.replace("_", "-").replace(" ", "-")


@dataclass(frozen=True)
class Choice:
    """A closed set of values; ``labels`` maps each value to its Chinese labels."""

    name: str
    labels: dict[str, tuple[str, ...]]
    free: bool = False  # free values allowed (industry): unknown text is kept as given

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def label(self, value: str | None) -> str:
        """The first Chinese label of a value, for display next to it."""
        if value is None:
            return ""
        names = self.labels.get(value)
        return names[0] if names else value

    def parse(self, text: str) -> str:
        folded = _fold(text)
        for value, names in self.labels.items():
            if folded == value or folded in (_fold(n) for n in names):
                return value
        if self.free and folded:
            return text.strip()
        from crmcli.i18n import _

        allowed = ", ".join(f"{v} ({self.labels[v][0]})" for v in self.labels)
        raise InvalidInput(
            _("unknown {what} {text!r}; expected one of: {allowed}").format(
                what=_(self.name), text=text, allowed=allowed
            )
        )

    def parse_many(self, text: str) -> list[str]:
        return [self.parse(part) for part in text.replace("，", ",").split(",") if part.strip()]


TIER = Choice(
    N_("tier"),
    {
        "core": ("核心", "核心客户"),
        "key": ("重点", "重点客户"),
        "general": ("一般", "一般客户"),
        "potential": ("潜在", "潜在客户"),
    },
)

# Lifecycle of seed 003 客户状态: lead → target → qualified → customer → loyal; junk/lost end it.
STAGE = Choice(
    N_("stage"),
    {
        "lead": ("潜在", "潜在客户"),
        "target": ("目标", "目标客户"),
        "qualified": ("准客户", "意向", "意向客户"),
        "customer": ("成交", "成交客户"),
        "loyal": ("忠诚", "忠诚客户"),
        "junk": ("垃圾", "垃圾客户"),
        "lost": ("流失", "丢失", "流失客户"),
    },
)
TERMINAL_STAGES = ("junk", "lost")

CHANNEL = Choice(
    N_("channel"),
    {
        "phone": ("电话", "电话拜访", "电话回访"),
        "visit": ("上门拜访", "拜访", "上门", "上门回访"),
        "meeting": ("面谈", "会面", "会议"),
        "email": ("邮件", "电子邮件"),
        "wechat": ("微信",),
        "sms": ("短信",),
        "event": ("活动",),
    },
)

# How the customer was first reached (seed 000 第八条, seed 003 外拓/来访).
ACQUISITION = Choice(
    N_("acquisition channel"),
    {
        "market-research": ("市场调研",),
        "online": ("网络营销", "网络"),
        "trade-show": ("行业展会", "展会"),
        "referral": ("合作伙伴推荐", "推荐"),
        "inquiry": ("客户主动咨询", "咨询"),
        "outreach": ("外拓",),
        "walk-in": ("来访",),
    },
)

SOURCE = Choice(N_("source"), {"inbound": ("主动咨询",), "outbound": ("被动咨询",)})
KIND = Choice(N_("kind"), {"company": ("公司", "企业"), "person": ("个人",)})
SCALE = Choice(
    N_("scale"),
    {"large": ("大型", "大型企业"), "medium": ("中型", "中型企业"), "small": ("小型", "小型企业")},
)
NEED = Choice(N_("need"), {"general": ("一般需求", "一般"), "special": ("特殊需求", "特殊")})
POTENTIAL = Choice(N_("potential"), {"high": ("高",), "low": ("低",)})
INDUSTRY = Choice(
    N_("industry"),
    {
        "manufacturing": ("制造业", "制造"),
        "services": ("服务业", "服务"),
        "finance": ("金融业", "金融"),
        "education": ("教育业", "教育"),
        "other": ("其他",),
    },
    free=True,
)
PLAN_STATUS = Choice(
    N_("plan status"),
    {"open": ("待办",), "done": ("完成", "已完成"), "cancelled": ("取消", "已取消")},
)
GENDER = Choice(N_("gender"), {"male": ("男",), "female": ("女",)})
# 客户价值 (seed 001): what a customer's purchases score, high/mid/low.
VALUE = Choice(N_("value"), {"high": ("高",), "mid": ("中",), "low": ("低",)})


# 客户投诉 graded by its nature (seed 003 四: 一般/重要/重大).
SEVERITY = Choice(
    N_("severity"),
    {
        "general": ("一般", "一般投诉"),
        "important": ("重要", "重要投诉"),
        "major": ("重大", "重大投诉"),
    },
)
# Forward only: open → responded → resolved → closed (reopen is a command of its own).
COMPLAINT_STATUS = Choice(
    N_("complaint status"),
    {
        "open": ("待答复", "未处理"),
        "responded": ("已答复", "处理中"),
        "resolved": ("已解决",),
        "closed": ("已关闭", "已反馈"),
    },
)
# How a survey was done (seed 003 五: 问卷, 电话回访, 网上调查, 上门).
SURVEY_METHOD = Choice(
    N_("survey method"),
    {
        "questionnaire": ("问卷", "问卷调查"),
        "phone": ("电话", "电话回访"),
        "online": ("在线", "网上调查", "网络"),
        "visit": ("上门", "上门拜访", "拜访"),
    },
)

# 法定节假日: the day itself is the greeting day; lunar festivals by lunar month/day.
HOLIDAYS: dict[str, tuple[str, str, int, int]] = {
    "元旦": ("new-year", "solar", 1, 1),
    "春节": ("spring-festival", "lunar", 1, 1),
    "清明": ("qingming", "term", 0, 0),
    "劳动节": ("labour-day", "solar", 5, 1),
    "端午": ("dragon-boat", "lunar", 5, 5),
    "中秋": ("mid-autumn", "lunar", 8, 15),
    "国庆": ("national-day", "solar", 10, 1),
}
# What people also call them: 中秋节 for 中秋, 五一 for 劳动节.
HOLIDAY_ALIASES = {
    "元旦节": "元旦",
    "新年": "元旦",
    "清明节": "清明",
    "五一": "劳动节",
    "五一劳动节": "劳动节",
    "国际劳动节": "劳动节",
    "端午节": "端午",
    "中秋节": "中秋",
    "国庆节": "国庆",
}

# 意向客户转化流程 (seed 000 第十三条): forward only; lost 失败 from any open stage.
PROJECT_STAGE = Choice(
    N_("project stage"),
    {
        "evaluation": ("项目评估", "评估"),
        "negotiation": ("合作洽谈", "洽谈"),
        "contract": ("签订合同", "合同", "签约"),
        "implementation": ("项目实施", "实施"),
        "completed": ("完成", "已完成", "项目完成"),
        "lost": ("失败", "项目失败"),
    },
)
# A project closes completed or lost; every other stage is open.
PROJECT_CLOSED_STAGES = ("completed", "lost")
# 项目合同、协议、报告、资料 (seed 002 四.3).
PROJECT_DOC_KIND = Choice(
    N_("document kind"),
    {
        "contract": ("合同",),
        "agreement": ("协议",),
        "report": ("报告",),
        "other": ("资料", "其他"),
    },
)
