"""String enums converted once, at the public boundary.

Every option that takes one of a few named values (a node's role, a model family, an effect, a
timing) is a :class:`Choice`. Users may pass the enum member or its string; :meth:`Choice.parse`
converts it, accepting any case, ``-``/``_`` interchangeably and the aliases a subclass declares,
and otherwise raises the subclass's error class with a message that names the argument, the value
received, the allowed values and the closest one.

>>> class Colour(Choice):
...     RED = "red"
...     DARK_BLUE = "dark-blue"
>>> Colour.parse("Dark_Blue", argument="colour")
<Colour.DARK_BLUE: 'dark-blue'>
>>> Colour.parse("blu", argument="colour")
Traceback (most recent call last):
...
facmech.errors.ArgumentError: `colour` must be one of 'red', 'dark-blue' (got 'blu'). Did you mean ...
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from facmech.errors import ArgumentError, DesignError, FacmechError, closest

__all__ = ["Choice", "DesignChoice"]

C = TypeVar("C", bound="Choice")


class Choice(str, enum.Enum):
    """A string enum with boundary conversion (:meth:`parse`) and a plain ``str()``."""

    @classmethod
    def aliases(cls) -> Mapping[str, str]:
        """Other spellings users may pass, mapped to a member's value (override in subclasses)."""
        return {}

    @classmethod
    def error_class(cls) -> type[FacmechError]:
        """The exception raised for an unknown value (override in subclasses)."""
        return ArgumentError

    @classmethod
    def hint(cls, text: str) -> str:
        """Extra advice appended to the error for the unknown value ``text`` (override), e.g. where
        a value that is not an option here is available instead."""
        return ""

    @classmethod
    def parse(cls: type[C], value: Any, *, argument: str | None = None) -> C:
        """Convert ``value`` (a member or its string) to a member of ``cls``.

        ``argument`` names what is being parsed in the message: a bare name is shown in
        backticks (``timing`` -> ```timing```); text that already has backticks is shown as is
        (``node 'a' `role```). It defaults to the snake-case class name.
        """
        if isinstance(value, cls):
            return value
        text = str(value).strip().lower()
        aliases = cls.aliases()
        for variant in (text, text.replace("_", "-"), text.replace("-", "_")):
            variant = aliases.get(variant, variant)
            for member in cls:
                if member.value == variant:
                    return member
        name = argument or re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()
        shown = name if "`" in name else f"`{name}`"
        allowed = [m.value for m in cls]
        raise cls.error_class()(
            f"{shown} must be one of {', '.join(repr(a) for a in allowed)} (got {value!r})."
            + closest(text, allowed) + cls.hint(text)
        )

    def __str__(self) -> str:
        return self.value


class DesignChoice(Choice):
    """A :class:`Choice` among trial designs, scenario or study options: an unknown value raises
    :class:`~facmech.errors.DesignError` (an :class:`~facmech.errors.ArgumentError`)."""

    @classmethod
    def error_class(cls) -> type[FacmechError]:
        return DesignError
