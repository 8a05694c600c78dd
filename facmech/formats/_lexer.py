"""A small tokenizer shared by the dagitty and DOT readers (both are DOT-like languages).

Tokens carry their line number so parse errors can say where they happened. Comments ``// ...``,
``/* ... */`` and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from facmech.errors import MapFormatError
from facmech.formats._limits import MAX_DEPTH, too_deep

__all__ = ["Token", "TokenStream", "tokenize"]

# Order matters: longer operators first.
_EDGE_OPS = ("<->", "@->", "<-@", "@-@", "--@", "@--", "->", "<-", "--")
_PUNCT = "{}[]=,;:"
_BARE = re.compile(r"-?[A-Za-z0-9_.\u0080-\uffff]+")


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is ``"id"``, ``"string"``, ``"edge"``, a punctuation character, or
    ``"end"``; ``line`` is 1-based."""

    kind: str
    value: str
    line: int

    @property
    def is_name(self) -> bool:
        return self.kind in ("id", "string")

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the text"
        return repr(self.value)


def tokenize(text: str, *, language: str) -> list[Token]:
    """Split ``text`` into tokens; ``language`` names the format in error messages."""
    tokens: list[Token] = []
    i, line, n = 0, 1, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            at_line_start = True
            continue
        if c in " \t\r\f\v":
            i += 1
            continue
        if c == "#" and at_line_start:
            while i < n and text[i] != "\n":
                i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise MapFormatError(f"malformed {language}: unterminated /* comment", line=line)
            line += text.count("\n", i, end)
            i = end + 2
            continue
        if c in "\"'":
            start_line = line
            j = i + 1
            buf: list[str] = []
            while True:
                if j >= n:
                    raise MapFormatError(
                        f"malformed {language}: unterminated string starting {text[i:i + 20]!r}",
                        line=start_line,
                    )
                ch = text[j]
                if ch == "\\" and j + 1 < n:
                    nxt = text[j + 1]
                    if nxt == "\n":
                        line += 1
                    else:
                        buf.append({"n": "\n"}.get(nxt, nxt))
                    j += 2
                    continue
                if ch == c:
                    break
                if ch == "\n":
                    line += 1
                buf.append(ch)
                j += 1
            tokens.append(Token("string", "".join(buf), start_line))
            i = j + 1
            continue
        op = next((o for o in _EDGE_OPS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("edge", op, line))
            i += len(op)
            continue
        if c in _PUNCT:
            tokens.append(Token(c, c, line))
            i += 1
            continue
        m = _BARE.match(text, i)
        if m:
            tokens.append(Token("id", m.group(), line))
            i = m.end()
            continue
        raise MapFormatError(f"malformed {language}: unexpected character {c!r}", line=line)
    tokens.append(Token("end", "", line))
    _check_nesting(tokens, language)
    return tokens


def _check_nesting(tokens: list[Token], language: str) -> None:
    """Refuse ``{``/``[`` nested deeper than :data:`~facmech.formats._limits.MAX_DEPTH` (the
    parsers recurse into blocks; this keeps them far from the recursion limit)."""
    depth = 0
    for tok in tokens:
        if tok.kind in ("{", "["):
            depth += 1
            if depth > MAX_DEPTH:
                raise too_deep(language, tok.line)
        elif tok.kind in ("}", "]"):
            depth -= 1


class TokenStream:
    """A cursor over tokens with helpers that raise :class:`MapFormatError` with line numbers."""

    def __init__(self, tokens: list[Token], *, language: str):
        self.tokens = tokens
        self.pos = 0
        self.language = language

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return tok

    def accept(self, kind: str) -> Token | None:
        if self.peek().kind == kind:
            return self.next()
        return None

    def expect(self, kind: str, what: str) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            self.fail(f"expected {what}, found {tok.describe()}", tok)
        return self.next()

    def name(self, what: str = "a node name") -> Token:
        tok = self.peek()
        if not tok.is_name:
            self.fail(f"expected {what}, found {tok.describe()}", tok)
        return self.next()

    def fail(self, message: str, tok: Token | None = None) -> NoReturn:
        tok = tok or self.peek()
        raise MapFormatError(f"malformed {self.language}: {message}", line=tok.line)

    def attributes(self) -> list[tuple[str, str | None, int]]:
        """An optional ``[key, key=value; ...]`` list: ``(key, value or None, line)`` items."""
        out: list[tuple[str, str | None, int]] = []
        if not self.accept("["):
            return out
        while True:
            while self.accept(",") or self.accept(";"):
                pass
            if self.accept("]"):
                return out
            key = self.name("an attribute name or ']'")
            value: str | None = None
            if self.accept("="):
                value = self.name(f"a value for attribute {key.value!r}").value
            out.append((key.value, value, key.line))
