"""Chat-record text export (聊天记录, as 千牛 prints it): one message per line, grammar in
docs/importing.md.

- A line of three or more ``-`` or ``=`` starts a new conversation (any words in it are ignored).
- ``2024-03-15 08:59:50 NICK: TEXT`` is a message (form A); the separator is a colon followed by
  a space, or the full-width ``：``. ``NICK 2024-03-15 08:59:50`` or ``NICK (2024-03-15 08:59:50):``
  alone on a line starts a message whose text follows on the next lines (form B).
- Any other non-blank line continues the previous message's text (multi-line messages).
- A nick written ``店铺名:客服名`` (a sub-account, with an ASCII colon) is the shop's agent; any
  other nick is the buyer. A text starting ``[自动回复]``, ``【自动回复】`` or ``(自动回复)`` is an
  automatic reply (the marker is dropped).

Attribution (one agent_id per chat for both directions): an agent message belongs to the buyer
who last wrote before it in the conversation (else the first who writes after it); a buyer
message belongs to the agent who writes next in the conversation, the one who answered it (else
the last agent before it), so after a transfer the buyer's messages move to the new agent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from jinpai.ingest.adapters.base import Plan
from jinpai.ingest.readers import BATCH_ROWS, RawFile, read_text_lines

NAME = "chat_text"

_TIME = r"\d{4}[-/]\d{1,2}[-/]\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
_FORM_A = re.compile(rf"^\s*(?P<time>{_TIME})\s+(?P<nick>.+?)(?::\s+|：\s*|:\s*$)(?P<text>.*)$")
_FORM_B = re.compile(rf"^\s*(?P<nick>\S.*?)\s*[(（]?(?P<time>{_TIME})[)）]?\s*[:：]?\s*$")
_CONVERSATION = re.compile(r"^\s*(?:-{3,}|={3,})")
_AUTO = re.compile(r"^\s*(?:\[自动回复\]|【自动回复】|[(（]自动回复[)）])\s*")
COLUMNS = ("buyer_id", "agent_id", "sender", "sent_at", "is_auto", "content")


def is_agent_nick(nick: str) -> bool:
    """Taobao writes a sub-account as ``店铺名:客服名``."""
    shop, sep, name = nick.partition(":")
    return bool(sep and shop.strip() and name.strip())


@dataclass
class _Message:
    line: int
    conversation: int
    nick: str
    time: str
    lines: list[str]


def _messages(lines: list[str]) -> Iterator[_Message]:
    conversation = 0
    current: _Message | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if _CONVERSATION.match(line):
            conversation += 1
            if current:
                yield current
            current = None
            continue
        m = _FORM_A.match(line)
        if m:
            if current:
                yield current
            current = _Message(number, conversation, m["nick"].strip(), m["time"], [m["text"]])
            continue
        m = _FORM_B.match(line)
        if m:
            if current:
                yield current
            current = _Message(number, conversation, m["nick"].strip(), m["time"], [])
            continue
        if current is not None:
            current.lines.append(line.rstrip())
        else:  # text before any message: keep it visible as a row that will be quarantined
            yield _Message(number, conversation, "", "", [line.rstrip()])
    if current:
        yield current


def _attribute(block: list[_Message]) -> list[tuple[str | None, str | None]]:
    """(buyer, agent) of each message of one conversation."""
    agent_flags = [bool(m.nick) and is_agent_nick(m.nick) for m in block]
    n = len(block)
    last_buyer, last_agent = [None] * n, [None] * n
    next_buyer, next_agent = [None] * n, [None] * n
    lb = la = None
    for i, m in enumerate(block):
        last_buyer[i], last_agent[i] = lb, la
        if m.nick:
            if agent_flags[i]:
                la = m.nick
            else:
                lb = m.nick
    nb = na = None
    for i in range(n - 1, -1, -1):
        next_buyer[i], next_agent[i] = nb, na
        m = block[i]
        if m.nick:
            if agent_flags[i]:
                na = m.nick
            else:
                nb = m.nick
    out: list[tuple[str | None, str | None]] = []
    for i, m in enumerate(block):
        if not m.nick:
            out.append((None, None))
        elif agent_flags[i]:
            out.append((last_buyer[i] or next_buyer[i], m.nick))
        else:
            out.append((m.nick, next_agent[i] or last_agent[i]))
    return out


def parse(lines: list[str]) -> dict[str, list]:
    """The canonical text columns (and ``_row``, ``raw``) of a chat export's lines."""
    cols: dict[str, list] = {c: [] for c in ("_row", "raw", *COLUMNS)}
    block: list[_Message] = []

    def flush() -> None:
        for m, (buyer, agent) in zip(block, _attribute(block), strict=True):
            text = "\n".join(m.lines).strip()
            auto = bool(_AUTO.match(text))
            cols["_row"].append(m.line)
            raw_lines = [f"{m.time} {m.nick}".strip(), *m.lines] if m.nick else m.lines
            cols["raw"].append("\n".join(raw_lines))
            cols["buyer_id"].append(buyer)
            cols["agent_id"].append(agent)
            cols["sender"].append(
                ("agent" if is_agent_nick(m.nick) else "buyer") if m.nick else None
            )
            cols["sent_at"].append(m.time or None)
            cols["is_auto"].append("true" if auto else "false")
            cols["content"].append(_AUTO.sub("", text) if auto else text)
        block.clear()

    for m in _messages(lines):
        if block and m.conversation != block[-1].conversation:
            flush()
        block.append(m)
    flush()
    return cols


def read(path: Path) -> tuple[RawFile, Plan]:
    """Read a chat export into one staged batch stream and its plan."""
    encoding, lines = read_text_lines(path)
    cols = parse(lines)

    def batches() -> Iterator[pa.Table]:
        n = len(cols["_row"])
        for start in range(0, n, BATCH_ROWS):
            part = {k: v[start : start + BATCH_ROWS] for k, v in cols.items()}
            data = {
                "_row": pa.array(part["_row"], pa.int64()),
                "r0": pa.array(part["raw"], pa.string()),
            }
            data.update({f"d_{c}": pa.array(part[c], pa.string()) for c in COLUMNS})
            yield pa.table(data)

    headers = ["message"]
    raw = RawFile(path, headers, batches(), path.stat().st_size, encoding)
    plan = Plan(NAME, "messages", {c: f"d_{c}" for c in COLUMNS}, headers, context={0})
    return raw, plan


def looks_like_chat(path: Path) -> bool:
    """Whether a text file's first lines are chat-record lines."""
    _, lines = read_text_lines(path)
    probe = [ln for ln in lines[:50] if ln.strip() and not _CONVERSATION.match(ln)]
    return bool(probe) and any(_FORM_A.match(ln) or _FORM_B.match(ln) for ln in probe[:5])
