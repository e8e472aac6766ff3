"""jinpai 金牌: measure and manage an online shop's customer-service team."""

__version__ = "0.1.0"
