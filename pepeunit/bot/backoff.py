"""Exponential backoff for loops that talk to the Bot API."""
from __future__ import annotations


class Backoff:
    def __init__(self, initial: float = 1.0, maximum: float = 60.0):
        self.initial = initial
        self.maximum = maximum
        self.current = initial

    def next_delay(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self.current = self.initial
