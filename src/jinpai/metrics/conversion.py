"""Metric family: conversion (metrics.md)."""

from __future__ import annotations

from jinpai.metrics.base import Metric

METRICS: list[Metric] = []
