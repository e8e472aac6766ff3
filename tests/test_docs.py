"""docs/metrics.md, cli.md, data.md and settings.md are generated: fail when the checked-in
files drift, or when a setting has no Chinese name or explanation."""

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
    # `python -m jinpai.docs` generates the documents: the docs part comes after the CLI in the
    # import order, so the CLI has no `jinpai docs` of its own
    for command in ("jinpai report", "jinpai explain", "jinpai import"):
        assert f"`{command}`" in text
    assert "`--by`" in text


@pytest.mark.parametrize("model", ["Settings", "WebSettings", "RuleSettings"])
def test_every_setting_has_a_chinese_name_and_an_explanation(model: str) -> None:
    from jinpai import settings
    from jinpai.metrics import rules

    fields = getattr(settings, model, None) or getattr(rules, model)
    for name, field in fields.model_fields.items():
        assert field.title and any("\u4e00" <= c <= "\u9fff" for c in field.title), name
        assert field.description, name
    text = docs.render_settings_md()
    assert all(f"{name.upper()}`" in text or f"`{name}`" in text for name in fields.model_fields)
