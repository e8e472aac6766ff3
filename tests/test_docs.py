"""docs/metrics.md and docs/cli.md are generated: fail when the checked-in files drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from jinpai import docs
from jinpai.metrics.catalogue import CATALOGUE

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", sorted(docs.RENDERERS))
def test_generated_docs_are_current(name: str) -> None:
    path = DOCS / f"{name}.md"
    assert path.exists(), f"{path} is missing: run `python -m jinpai.docs`"
    current = path.read_text(encoding="utf-8")
    assert current == docs.RENDERERS[name](), f"{path} is out of date: run `python -m jinpai.docs`"


def test_every_metric_is_documented() -> None:
    text = docs.render_metrics_md()
    for metric in CATALOGUE.values():
        assert f"`{metric.id}` {metric.zh}" in text
        assert docs._cell(metric.description) in text


def test_cli_doc_lists_the_commands() -> None:
    text = docs.render_cli_md()
    for command in ("jinpai report", "jinpai explain", "jinpai docs"):
        assert f"`{command}`" in text
    assert "`--by`" in text
