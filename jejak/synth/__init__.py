"""Synthetic demo data for jejak: Kopi Jejak's omnichannel customers, with the planted truth to check models against.

Example:
    >>> from jejak.synth import generate
"""

from __future__ import annotations

from jejak.synth.generator import GenerateResult, generate

__all__ = ["GenerateResult", "generate"]
