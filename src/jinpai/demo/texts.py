"""Chinese message templates by category, flattened into one bank addressed by integer index.

Buyer questions carry the words the loss-reason and question-mining features look for (价格/贵,
发货/快递, 尺码, 质量 ...); each buyer category has a matching agent answer category.
"""

from __future__ import annotations

import numpy as np

from jinpai.demo.shop import SCRIPTS

# category -> (buyer lines, agent answers)
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "open": (
        (
            "在吗",
            "你好,在吗?",
            "这款还有货吗",
            "亲,请问这个保暖内衣有现货吗",
            "我想问一下这款袜子",
            "客服在吗,咨询一下",
        ),
        (
            "在的亲,请问有什么可以帮您?",
            "亲,您好,有货的哦,请问您想了解哪一款呢?",
            "您好~我是客服,很高兴为您服务",
        ),
    ),
    "size": (
        (
            "我身高165体重110斤穿什么码",
            "尺码偏大还是偏小",
            "男士身高180穿XL可以吗",
            "这个尺码标准吗",
            "腰围2尺3选哪个码",
        ),
        (
            "亲,按您的身高体重建议选L码哦",
            "尺码是标准的,按平时的码数拍就可以",
            "180的话建议XL,喜欢宽松可以拍XXL",
            "可以参考详情页的尺码表哦",
        ),
    ),
    "price": (
        ("能便宜点吗", "这个价格能再优惠吗", "多买几件有优惠吗", "为什么比昨天贵了"),
        (
            "亲,现在已经是活动价了哦",
            "两件以上可以领满减券哦",
            "亲,价格以下单页面为准,今天有店铺券可以领",
        ),
    ),
    "shipping": (
        ("什么时候发货", "今天拍能发货吗", "发什么快递", "几天能到北京"),
        ("16点前付款当天发货哦", "默认发中通,江浙沪一般次日达", "亲,今天拍的今天就能发出,2-3天到"),
    ),
    "discount": (
        ("有优惠券吗", "满减活动怎么参加", "会员有折扣吗", "有赠品吗"),
        ("首页可以领5元无门槛券哦", "满199减20,可以和券一起用", "加入会员下单送一双袜子哦"),
    ),
    "quality": (
        ("质量怎么样", "会起球吗", "洗了会缩水吗", "袜子容易破吗"),
        (
            "亲,我们是浪莎正品,质量有保证的",
            "面料经过抗起球处理,正常洗涤不会起球",
            "建议冷水手洗,缩水率很小的",
        ),
    ),
    "material": (
        ("是纯棉的吗", "什么面料", "加绒的厚不厚", "含羊毛吗"),
        ("亲,这款是95%棉5%氨纶", "德绒面料,薄款也很保暖", "加绒款比较厚实,零下也可以穿"),
    ),
    "stock": (
        ("黑色L码还有吗", "灰色什么时候补货", "这个颜色没货了吗"),
        (
            "亲,黑色L码还有库存的",
            "灰色预计下周补货,可以先收藏哦",
            "这个颜色暂时缺货,推荐您看看藏青色",
        ),
    ),
    "buy": (
        (
            "好的,我拍了",
            "那我拍两套",
            "已拍,尽快发货哦",
            "好的,就要这个了",
            "拍下了,帮我备注一下送袜子",
        ),
        ("好的亲,我们会尽快为您安排发货", "感谢亲的支持,已备注", "收到~付款后马上安排发货哦"),
    ),
    "hesitate_price": (
        ("有点贵,我再看看", "别家比你们便宜", "太贵了,算了", "价格再低点我就买"),
        ("亲,我们是正品保障的哦,价格已经很优惠了", "好的亲,有需要随时联系我们"),
    ),
    "hesitate_logistics": (
        ("要这么久才发货啊", "快递太慢了,我着急穿", "不能顺丰吗,那算了"),
        ("抱歉亲,大促期间发货会慢一点", "亲,可以补运费发顺丰的哦"),
    ),
    "hesitate_product": (
        ("我怕尺码不合适,再考虑下", "颜色不太喜欢", "感觉有点薄,再看看别的"),
        ("亲,支持7天无理由退换的", "好的亲,可以看看我们的加厚款哦"),
    ),
    "hesitate_service": (
        ("回复这么慢", "问了半天也没说清楚", "算了不买了"),
        ("抱歉亲,咨询的人比较多,回复慢了", "非常抱歉给您带来不好的体验"),
    ),
    "prepay": (
        (
            "刚拍了,什么时候发货",
            "拍了能改地址吗",
            "可以开发票吗",
            "拍了两件能便宜点吗",
            "拍错颜色了能改吗",
        ),
        (
            "亲,付款后今天就能发货哦",
            "可以的,付款后把新地址发我,我帮您备注",
            "支持开电子发票的,付款后填写抬头即可",
            "亲,可以帮您改成灰色",
        ),
    ),
    "consult": (
        (
            "什么时候发货",
            "我的快递到哪了",
            "怎么还没发货",
            "能帮我催一下快递吗",
            "物流好几天没更新了",
        ),
        (
            "亲,已经发出了,单号在订单详情里可以看到",
            "帮您查了一下,明天就能到哦",
            "抱歉久等了,已经帮您催仓库了",
            "亲,物流在中转,请再耐心等一下",
        ),
    ),
    "revisit": (
        ("挺好的,谢谢", "尺码有点小", "穿着很舒服,还会再来", "袜子不错,再买几双"),
        ("谢谢亲的支持,给个好评哦", "亲,尺码小可以申请换货的", "感谢亲,老客户下单有优惠哦"),
    ),
    "refund": (
        ("我要申请退款", "还没发货能退款吗", "申请了退款麻烦处理一下", "退款什么时候到账"),
        ("好的亲,已经帮您同意退款了", "亲,退款1-3个工作日原路返回", "已经处理了,请留意退款进度"),
    ),
    "return": (
        ("买大了想退货", "衣服有线头,我要退货", "退货地址发我一下", "退货的运费谁出"),
        (
            "亲,七天无理由可以退的,退货地址已发您",
            "质量问题运费我们承担,麻烦拍下照片哦",
            "收到退货后马上为您退款",
        ),
    ),
    "exchange": (
        ("能换大一码吗", "颜色发错了要换", "想换个颜色"),
        ("可以的亲,寄回来我们给您换新", "非常抱歉发错了,我们马上补发正确颜色"),
    ),
    "complaint": (
        (
            "袜子刚穿就破了,什么质量",
            "客服态度太差了,我要投诉",
            "收到的是二手的吗,包装都破了",
            "再不处理我就找小二了",
        ),
        (
            "非常抱歉亲,我们给您补发一份新的",
            "亲,实在抱歉,给您申请一点补偿",
            "已经记录,主管会马上跟进处理",
        ),
    ),
    "thanks": (
        ("好的,谢谢", "知道了", "好的", "嗯嗯"),
        ("不客气亲,祝您生活愉快~", "有问题随时联系我们哦"),
    ),
}
FOLLOWUPS = ("还有其他可以帮您的吗~", "亲,现在下单今天就能发货哦", "有问题随时找我哦", "[微笑]")
AUTO_GREETINGS = (
    "您好,欢迎光临浪莎旗舰店,请问有什么可以帮您?",
    "亲,您好!3.8女王节全场满199减20,欢迎咨询~",
    "欢迎光临~客服马上为您服务,请稍等哦",
)
AUTO_NIGHT = ("亲,客服上班时间为08:00-23:00,留言后我们会第一时间回复您",)
REVISIT_OPENERS = ("亲,上次买的保暖内衣穿着还合适吗?", "亲,您的袜子收到了吗,满意的话给个好评哦~")

NAMES = tuple(CATEGORIES)
CAT = {name: i for i, name in enumerate(NAMES)}


def _flatten() -> tuple[list[str], dict[str, np.ndarray]]:
    bank: list[str] = []
    tables: dict[str, list[int]] = {"b_off": [], "b_cnt": [], "a_off": [], "a_cnt": []}
    for buyer, agent in CATEGORIES.values():
        for side, lines in (("b", buyer), ("a", agent)):
            tables[f"{side}_off"].append(len(bank))
            tables[f"{side}_cnt"].append(len(lines))
            bank.extend(lines)
    arrays = {k: np.array(v, dtype=np.int64) for k, v in tables.items()}
    for key, lines in (
        ("followup", FOLLOWUPS),
        ("auto", AUTO_GREETINGS),
        ("auto_night", AUTO_NIGHT),
        ("revisit_open", REVISIT_OPENERS),
        ("script", tuple(s[1] for s in SCRIPTS)),
    ):
        arrays[f"{key}_off"] = np.int64(len(bank))
        arrays[f"{key}_cnt"] = np.int64(len(lines))
        bank.extend(lines)
    return bank, arrays


BANK, IDX = _flatten()


def pick(rng: np.random.Generator, key: str, n: int) -> np.ndarray:
    """n random bank indices from a fixed group (followup, auto, auto_night, revisit_open)."""
    return IDX[f"{key}_off"] + rng.integers(0, IDX[f"{key}_cnt"], n)


def pick_category(rng: np.random.Generator, cats: np.ndarray, side: str) -> np.ndarray:
    """One bank index per element: a random line of category ``cats[i]`` for side b or a."""
    off, cnt = IDX[f"{side}_off"][cats], IDX[f"{side}_cnt"][cats]
    return off + (rng.random(cats.size) * cnt).astype(np.int64)
