"""A static check for regular expressions that can backtrack catastrophically.

It reads a pattern with the standard library's own parser and flags the three shapes behind
exponential and polynomial backtracking:

1. an unbounded repeat inside an unbounded repeat that can match the same text, e.g. ``(a+)+``
   (unless the outer body starts with a character the inner repeat cannot match, as in the
   unrolled loop ``[^ ]*(?: [^ ]*)*``, where every iteration is pinned to one space);
2. an unbounded repeat over alternatives that overlap, e.g. ``(a|ab)*``;
3. two unbounded repeats in sequence over overlapping characters with nothing mandatory
   between them, e.g. ``\\d+\\d*x`` (quadratic on a failing input).

Possessive repeats (``*+``) and atomic groups keep no backtracking state and are never
flagged. The check is conservative: it may flag a safe pattern, never the reverse for these
shapes.
"""

from __future__ import annotations

import re._constants as C
import re._parser as P
from typing import Any

ALL: frozenset[int] = frozenset(range(0x110000))
_UNBOUNDED = (C.MAX_REPEAT, C.MIN_REPEAT)


# A set of characters: (negated, chars). (False, S) is S; (True, S) is everything but S.
Chars = tuple[bool, frozenset[int]]
ANYTHING: Chars = (True, frozenset())
NOTHING: Chars = (False, frozenset())


def _charset(op: Any, value: Any) -> Chars:
    """The characters one item can match first."""
    if op is C.LITERAL:
        return (False, frozenset({value}))
    if op is C.NOT_LITERAL:
        return (True, frozenset({value}))
    if op is C.IN:
        chars: set[int] = set()
        negate = False
        for kind, item in value:
            if kind is C.NEGATE:
                negate = True
            elif kind is C.LITERAL:
                chars.add(item)
            elif kind is C.RANGE:
                chars.update(range(item[0], item[1] + 1))
            else:  # categories (\d, \s, ...): unknown, so anything
                return ANYTHING
        return (negate, frozenset(chars))
    return ANYTHING


def _union(a: Chars, b: Chars) -> Chars:
    if a[0] and b[0]:
        return (True, a[1] & b[1])
    if a[0]:
        return (True, a[1] - b[1])
    if b[0]:
        return (True, b[1] - a[1])
    return (False, a[1] | b[1])


def _first(items: list[tuple[Any, Any]]) -> Chars:
    """Characters the sequence can start with."""
    for op, value in items:
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        if op is C.SUBPATTERN:
            return _first(list(value[-1]))
        if op is C.BRANCH:
            result = NOTHING
            for branch in value[1]:
                result = _union(result, _first(list(branch)))
            return result
        if op in _UNBOUNDED or op is C.POSSESSIVE_REPEAT:
            head = _first(list(value[2]))
            return head if value[0] > 0 else _union(head, _first(items[1:]))
        return _charset(op, value)
    return NOTHING


def _overlap(a: Chars, b: Chars) -> bool:
    if a[0] and b[0]:
        return True
    if a[0]:
        return bool(b[1] - a[1])
    if b[0]:
        return bool(a[1] - b[1])
    return bool(a[1] & b[1])


def _excluded(op: Any, value: Any) -> frozenset[int] | None:
    """Characters a single-character item can never match (for NOT_LITERAL / negated sets)."""
    if op is C.NOT_LITERAL:
        return frozenset({value})
    if op is C.IN and value and value[0][0] is C.NEGATE:
        chars: set[int] = set()
        for kind, item in value[1:]:
            if kind is C.LITERAL:
                chars.add(item)
            elif kind is C.RANGE:
                chars.update(range(item[0], item[1] + 1))
        return frozenset(chars)
    return None


def _inner_repeats(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    found = []
    for op, value in items:
        if op in _UNBOUNDED and value[1] == C.MAXREPEAT:
            found.append((op, value))
            found.extend(_inner_repeats(list(value[2])))
        elif op is C.SUBPATTERN:
            found.extend(_inner_repeats(list(value[-1])))
        elif op is C.BRANCH:
            for branch in value[1]:
                found.extend(_inner_repeats(list(branch)))
        elif op in (C.ASSERT, C.ASSERT_NOT) or op is C.POSSESSIVE_REPEAT or op is C.ATOMIC_GROUP:
            continue
    return found


def _pinned(body: list[tuple[Any, Any]], inner: tuple[Any, Any]) -> bool:
    """Whether the outer body starts with a literal the inner repeat can never match."""
    for op, value in body:
        if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
            continue
        if op is C.LITERAL:
            (item_op, item_value), *_ = list(inner[1][2])
            excluded = _excluded(item_op, item_value)
            return excluded is not None and value in excluded
        return False
    return False


def _flat(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The items with groups opened up: (a(b)) reads as the sequence a, b."""
    flat: list[tuple[Any, Any]] = []
    for op, value in items:
        if op is C.SUBPATTERN:
            flat.extend(_flat(list(value[-1])))
        else:
            flat.append((op, value))
    return flat


def _min_width(items: list[tuple[Any, Any]]) -> int:
    return int(P.SubPattern(P.State(), items).getwidth()[0])


def problems(pattern: str) -> list[str]:
    """What makes ``pattern`` prone to catastrophic backtracking (empty when nothing)."""
    found: list[str] = []

    def walk(items: list[tuple[Any, Any]]) -> None:
        previous: tuple[Any, Any] | None = None
        for op, value in items:
            if op in _UNBOUNDED and value[1] == C.MAXREPEAT:
                body = _flat(list(value[2]))
                for inner in _inner_repeats(body):
                    if not _pinned(body, inner):
                        found.append(f"nested unbounded repeats in {pattern!r}")
                for branch_op, branch_value in body:
                    if branch_op is C.BRANCH:
                        widths = [_min_width(list(b)) for b in branch_value[1]]
                        if 0 in widths:
                            # (?:a|aa)* is read as a(?:|a): an empty alternative under a repeat
                            # overlaps the next iteration.
                            found.append(f"optional alternative under a repeat in {pattern!r}")
                        firsts = [_first(list(b)) for b in branch_value[1]]
                        for i, a in enumerate(firsts):
                            for b in firsts[i + 1 :]:
                                if _overlap(a, b):
                                    found.append(f"overlapping alternatives in {pattern!r}")
                if previous is not None and _overlap(_first(list(previous[1][2])), _first(body)):
                    found.append(f"adjacent overlapping repeats in {pattern!r}")
                previous = (op, value)
                walk(body)
                continue
            if op is C.SUBPATTERN:
                walk(list(value[-1]))
            elif op in _UNBOUNDED or op is C.POSSESSIVE_REPEAT:
                walk(list(value[2]))  # a bounded repeat: look inside it
            elif op is C.BRANCH:
                for branch in value[1]:
                    walk(list(branch))
            elif op in (C.ASSERT, C.ASSERT_NOT):
                walk(list(value[1]))
            if op not in (C.AT, C.ASSERT, C.ASSERT_NOT) and not (
                op in (C.MAX_REPEAT, C.MIN_REPEAT) and value[0] == 0
            ):
                previous = None

    walk(list(P.parse(pattern)))
    return found
