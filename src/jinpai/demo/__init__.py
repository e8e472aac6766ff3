"""The demo shop: a believable month of the seed-000 customer-service team as canonical tables."""

from jinpai.demo.generator import DEFAULT_MESSAGES, GenerationSummary, generate_shop

__all__ = ["DEFAULT_MESSAGES", "GenerationSummary", "generate_shop"]
