"""Personal data of buyers (names, phones, addresses) is never stored, not even in quarantine.

Only the cells an importer reads are staged: a column of personal data (收货人姓名, 联系电话,
收货地址, ...) or of other free text (买家留言, 订单备注, 商家备注, ...) is never staged, so neither
the tables nor the quarantine can keep it. A quarantined row keeps the cells read, with phone
numbers (every form of canonical/phones.py) masked as ``***``; stored free text (chat content,
order titles, notes) is masked by validation.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from jinpai.canonical.phones import mask_phones
from jinpai.settings import Settings

MASK = "***"

_PERSONAL_HEADER = re.compile(
    r"收货人|收件人|联系人|联系电话|联系手机|手机|电话|地址|邮编|身份证|证件|邮箱|支付宝账号|支付宝账户"
    r"|买家姓名|真实姓名|phone|mobile|tel\b|telephone|address|addr\b|zip|postcode|postal|e-?mail"
    r"|id_?card|consignee|receiver|recipient|(customer|buyer|receiver|real)_?name",
    re.IGNORECASE,
)


def is_personal(header: str) -> bool:
    """Whether a column header names personal data of the buyer."""
    return bool(_PERSONAL_HEADER.search(header.strip()))


def mask_text(value: str | None) -> str | None:
    """Mask phone numbers inside a cell."""
    return mask_phones(value, MASK) if value else value


def pseudonym(secret: str, buyer_id: str) -> str:
    """A stable pseudonym of a buyer id: HMAC-SHA256 with the installation's secret, truncated."""
    digest = hmac.new(secret.encode(), buyer_id.encode(), hashlib.sha256).hexdigest()
    return "b_" + digest[:16]


class SecretMissingError(ValueError):
    pass


def buyer_secret(settings: Settings) -> str | None:
    """The pseudonym secret when the installation pseudonymises buyers, else None."""
    if not settings.pseudonymise_buyers:
        return None
    if not settings.buyer_secret:
        raise SecretMissingError(
            "pseudonymise_buyers is on but no secret is set (JINPAI_BUYER_SECRET)"
        )
    return settings.buyer_secret
