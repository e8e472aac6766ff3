"""The demo shop, a 10-agent Tmall team (浪莎, thermal underwear and socks): team, products, rhythms, scripts.

Everything here is plain data; the generator turns it into canonical tables. Numbers are chosen
so the month looks like the article's shop: 10 agents (8 presale, 2 aftersale; 6 experienced, 4
new), base 1800 yuan, 1% commission, silent share ~55% of orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

SHOP_NAME = "浪莎旗舰店"
SHOP_ID = "demo"
BASE_SALARY = 1800
COMMISSION_RATE = 0.01

PRESALE, AFTERSALE = "presale", "aftersale"


@dataclass(frozen=True)
class Agent:
    nick: str  # sub-account name after "shop:"
    name: str  # fictional
    role: str
    level: str
    hired_days: int  # hired_on = period start + hired_days (negative: before the period)
    group: str
    reply_median_s: float  # typical time to a valid reply
    away_p: float  # chance a reply takes 10-30 min (stepped away)
    unanswered_p: float  # chance a buyer turn is never answered
    conversion: float  # chance an answered inquiry orders
    capacity: float  # share of routed chats relative to peers on duty
    mentor: str | None = None  # nick of the mentor (new agents)

    @property
    def agent_id(self) -> str:
        return f"{SHOP_NAME}:{self.nick}"

    @property
    def is_new(self) -> bool:
        return self.level == "junior"

    def hired_on(self, start: date) -> date:
        return start + timedelta(days=self.hired_days)


# order matters: indices are used in the vectorised arrays
ROSTER: tuple[Agent, ...] = (
    Agent("小美", "王美玲", PRESALE, "gold", -1100, "售前一组", 11, 0.004, 0.01, 0.60, 1.30),
    Agent("阿杰", "陈志杰", PRESALE, "senior", -760, "售前一组", 15, 0.006, 0.012, 0.56, 1.20),
    Agent("小雪", "刘雪", PRESALE, "senior", -640, "售前二组", 17, 0.006, 0.012, 0.55, 1.20),
    Agent("小K", "孙凯", PRESALE, "mid", -300, "售前二组", 24, 0.010, 0.018, 0.50, 1.00),
    Agent("小鹿", "赵露", PRESALE, "junior", -40, "售前一组", 48, 0.025, 0.035, 0.42, 0.85, "阿杰"),
    Agent("小橙", "周橙", PRESALE, "junior", -26, "售前二组", 58, 0.030, 0.040, 0.39, 0.80, "阿杰"),
    Agent("小布", "吴布", PRESALE, "junior", -12, "售前一组", 66, 0.035, 0.045, 0.36, 0.70, "阿杰"),
    # hired mid-month: base pay is prorated
    Agent("小栗", "郑莉", PRESALE, "junior", 14, "售前二组", 75, 0.040, 0.050, 0.33, 0.60, "阿杰"),
    Agent("阿芳", "何芳", AFTERSALE, "senior", -820, "售后组", 20, 0.008, 0.012, 0.50, 1.00),
    Agent("小宇", "林宇", AFTERSALE, "mid", -380, "售后组", 30, 0.012, 0.018, 0.45, 1.00),
)
MENTOR = "阿杰"
N_AGENTS = len(ROSTER)
IS_PRESALE = np.array([a.role == PRESALE for a in ROSTER])
IS_AFTERSALE = ~IS_PRESALE


def agent_arrays() -> dict[str, np.ndarray]:
    """Per-agent parameters as numpy arrays, indexed like ROSTER."""
    return {
        "reply_median_s": np.array([a.reply_median_s for a in ROSTER]),
        "away_p": np.array([a.away_p for a in ROSTER]),
        "unanswered_p": np.array([a.unanswered_p for a in ROSTER]),
        "conversion": np.array([a.conversion for a in ROSTER]),
        "capacity": np.array([a.capacity for a in ROSTER]),
        "hired_days": np.array([a.hired_days for a in ROSTER]),
    }


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    price_cents: int
    weight: float


PRODUCTS: tuple[Product, ...] = (
    Product("LS-NY-101", "浪莎男士保暖内衣套装 加绒加厚", 12900, 1.6),
    Product("LS-NY-102", "浪莎女士保暖内衣套装 德绒发热", 13900, 1.8),
    Product("LS-NY-103", "浪莎纯棉秋衣秋裤 男款", 7900, 1.0),
    Product("LS-NY-104", "浪莎纯棉秋衣秋裤 女款", 7900, 1.1),
    Product("LS-NY-105", "浪莎羊毛保暖内衣 高端礼盒", 29900, 0.35),
    Product("LS-WZ-201", "浪莎男袜 中筒纯棉 10双装", 3990, 2.2),
    Product("LS-WZ-202", "浪莎女袜 船袜隐形 10双装", 3590, 2.4),
    Product("LS-WZ-203", "浪莎丝袜 连裤袜 防勾丝 3条装", 4590, 1.5),
    Product("LS-WZ-204", "浪莎儿童袜 精梳棉 5双装", 2990, 0.9),
    Product("LS-WZ-205", "浪莎运动袜 毛巾底 6双装", 4990, 0.8),
    Product("LS-NK-301", "浪莎男士内裤 莫代尔 4条装", 6900, 1.0),
    Product("LS-NK-302", "浪莎女士内裤 纯棉抗菌 5条装", 5900, 1.1),
)

# 催付话术: clearly different success rates, so per-script statistics have something to find
SCRIPTS: tuple[tuple[str, str, float], ...] = (
    ("S1", "亲,您拍下的宝贝还没有付款哦,今天16点前付款当天就能发货~", 0.46),
    ("S2", "亲,现在付款联系客服可以领一双袜子小礼品哦,库存不多啦", 0.32),
    ("S3", "亲,您的订单还没付款,是有什么疑问吗?随时问我哦", 0.22),
    ("S4", "亲,订单快要自动关闭了,请尽快付款哦", 0.11),
)
SCRIPT_MIX = np.array([0.25, 0.35, 0.25, 0.15])
CHANNELS = ("im", "sms", "phone")
CHANNEL_MIX = np.array([0.65, 0.25, 0.10])
CHANNEL_EFFECT = np.array([1.0, 0.7, 1.35])

# buyer traffic by hour (shop-local): evening peak 20-22 h, quiet night, ~7% outside 08-23 h
_NIGHT_MORNING = (0.6, 0.3, 0.15, 0.08, 0.06, 0.08, 0.2, 0.5, 1.2, 2.2, 2.8, 2.6)
_AFTERNOON_EVENING = (2.0, 2.3, 2.7, 2.8, 2.6, 2.2, 2.2, 2.8, 3.6, 3.8, 3.2, 1.6)
HOURLY = np.array((*_NIGHT_MORNING, *_AFTERNOON_EVENING))
# a sale day opens at midnight: a spike in the first hours
CAMPAIGN_HOURLY = HOURLY + np.array([6.0, 3.0, 1.0, *[0.0] * 21])
# Monday .. Sunday
WEEKDAY = np.array([1.05, 1.0, 0.97, 0.95, 0.92, 1.06, 1.15])
CAMPAIGN_FACTOR = 3.6

SERVICE_START_H, SERVICE_END_H = 8, 23
EARLY_SHIFT = (8, 16)
LATE_SHIFT = (15, 23)


def campaign_day(days: int, start: date) -> int:
    """Index of the campaign day: 3.8 (女王节) when the period holds it, else day 8 or the middle."""
    for year in (start.year, start.year + 1):
        idx = (date(year, 3, 8) - start).days
        if 0 <= idx < days:
            return idx
    return 7 if days > 7 else days // 2


def day_weights(days: int, start: date, rng: np.random.Generator) -> np.ndarray:
    """Relative traffic per day: weekday effect, warm-up and hangover around the campaign."""
    wd = np.array([(start + timedelta(days=i)).weekday() for i in range(days)])
    w = WEEKDAY[wd] * np.exp(rng.normal(0.0, 0.06, days))
    c = campaign_day(days, start)
    w[c] *= CAMPAIGN_FACTOR
    if c >= 1:
        w[c - 1] *= 1.35
    w[c + 1 : c + 3] *= 0.82
    return w
