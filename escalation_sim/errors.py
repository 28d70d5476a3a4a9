"""Errors about a user's input: each names the file, the field and the problem."""

from __future__ import annotations


class InputError(Exception):
    """Bad input. ``problems`` is a list of (field, problem) pairs, all in one ``source``."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(f"{self.source}: {field}: {problem}" if field else
                         f"{self.source}: {problem}" for field, problem in self.problems)
