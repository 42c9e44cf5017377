"""A note's YAML front matter: where it ends, and the JSON values plansync keeps of it.

The YAML is read as python-frontmatter's YAML handler reads it, with its safe loader (PyYAML's,
with libyaml's C parser when present), so a note reads here as it does in every tool built on
python-frontmatter. The
front matter is split off by hand rather than by python-frontmatter, so that line numbers in
warnings stay those of the file even when the YAML is broken. What is kept is JSON (dates as ISO
strings, sets and tuples as lists), because ``plansync parse --json`` and the plan print it.

libyaml parses in C, but PyYAML then builds the values in Python, through a generator per
collection and a table look-up per node, at more than the cost of the parse itself (~45 µs of
~80 µs for a meeting note's front matter), and the conversion to JSON walked them once more.
:class:`FrontMatterLoader` turns the plain documents that front matter almost always is
(strings, numbers, booleans, nulls and dates in lists and mappings) into JSON values in one walk
of libyaml's nodes, calling the safe constructor's own methods for the scalars that need
converting. Anything else (anchors and aliases, merge keys, explicit tags on collections, sets,
binary, unhashable keys, deep nesting) goes to the safe constructor unchanged and is converted
after. Both ways give the same values; the tests compare them.

One value reads otherwise than in PyYAML: a timestamp that names no real day or time
(``reviewed: 2025-02-29``) is its text, as Obsidian reads it, where PyYAML's resolver takes it
for a timestamp and its constructor then fails, which lost every other property of the note.

A key written twice in one mapping (``date:`` again, appended by a transcription pipeline or an
editor) reads as in PyYAML, the last value, but is no longer silent: both ways of building note
the keys a mapping lost, and :func:`load_front_matter` warns of each with its lines.
"""

from __future__ import annotations

import base64
import datetime as dt
from functools import lru_cache
from typing import Any, NamedTuple

import yaml
from frontmatter.default_handlers import SafeLoader
from yaml.constructor import ConstructorError, SafeConstructor

from plansync.notes.model import ParseWarning

_TAG = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP, _TIMESTAMP, _MERGE = (
    _TAG + name for name in ("str", "seq", "map", "timestamp", "merge")
)


def _timestamp(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    """The timestamp, or its text when it names no real day or time (see the module docstring):
    the constructor raises ValueError only for a day or time out of range. Text that is no
    timestamp at all (``!!timestamp x``) still fails, as a value another tag cannot hold does."""
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_SCALARS = {
    _TAG + "null": SafeLoader.construct_yaml_null,
    _TAG + "bool": SafeLoader.construct_yaml_bool,
    _TAG + "int": SafeLoader.construct_yaml_int,
    _TAG + "float": SafeLoader.construct_yaml_float,
    _TIMESTAMP: _timestamp,
}
_MAX_PLAIN_DEPTH = 32
# What the safe constructor raises, with no position, for a scalar its tag cannot hold
# (IndexError, a LookupError, for an empty one: `count: !!int`).
_CONSTRUCTION_ERRORS = (ValueError, LookupError, TypeError, AttributeError)


class _NotPlain(Exception):
    """The document holds something only the safe constructor builds (or reports) correctly."""


class _SelfReference(Exception):
    """An alias inside its own anchor: the value contains itself and has no JSON form."""


class RepeatedKey(NamedTuple):
    """A key written more than once in one mapping: what it is named in the JSON mapping, the
    lines of the YAML text it is written on (0-based, in order), and the line of the value
    kept."""

    name: str
    lines: list[int]
    kept: int


class FrontMatterLoader(SafeLoader):  # type: ignore[misc,valid-type]
    """The safe loader, giving each document as JSON values (see the module docstring), and
    noting in :attr:`repeated_keys` the keys a mapping of it lost a value of."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated_keys: list[RepeatedKey] = []
        self._written: dict[yaml.MappingNode, list[yaml.Node]] = {}
        """The keys each mapping the safe constructor flattened was written with: flattening
        puts the keys a merge key brings in among them, which the keys written override by
        design, not by mistake."""

    def construct_document(self, node: yaml.Node) -> Any:
        try:
            return self._plain(node, set(), 0)
        except _NotPlain:
            self.repeated_keys.clear()  # the safe constructor notes them again, once
            return as_json(super().construct_document(node))

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        self._written.setdefault(node, [key for key, _ in node.value if key.tag != _MERGE])
        super().flatten_mapping(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)  # flattens it first
        if node.tag == _MAP:  # a set's members (!!set) lose nothing when written twice
            keys = self._written[node]
            self._note_repeated([(self.construct_object(key), key) for key in keys])
        return mapping

    def _plain(self, node: yaml.Node, collections: set[int], depth: int) -> Any:
        tag = node.tag
        if node.id == "scalar":
            value = self._scalar(node)
            return value.isoformat() if tag == _TIMESTAMP and type(value) is not str else value
        if depth > _MAX_PLAIN_DEPTH or id(node) in collections:
            # A collection reached twice is an alias: the safe constructor shares one object.
            raise _NotPlain
        collections.add(id(node))
        depth += 1
        if node.id == "sequence" and tag == _SEQ:
            return [self._plain(child, collections, depth) for child in node.value]
        if node.id != "mapping" or tag != _MAP:
            raise _NotPlain
        mapping = {}
        for key_node, value_node in node.value:
            if key_node.id != "scalar":
                raise _NotPlain  # the safe constructor refuses it, and says why
            mapping[self._scalar(key_node)] = self._plain(value_node, collections, depth)
        if not all(type(key) is str for key in mapping):
            mapping = {str(key): value for key, value in mapping.items()}  # as as_json does
        if len(mapping) < len(node.value):  # the one cost to a mapping without a repeated key
            self._note_repeated([(self._scalar(key), key) for key, _ in node.value])
        return mapping

    def _note_repeated(self, keys: list[tuple[Any, yaml.Node]]) -> None:
        """Note the keys of a mapping (each as built, and its node, in the order written) that
        it lost a value of: equal keys (``date`` twice, or ``1`` and ``true``, one key to
        Python), and then keys that the JSON mapping names alike (``1`` and ``'1'``). As in
        the mapping built, equal keys keep the value written last, and of keys named alike
        the one first written last is kept (a dict keeps a key where it first put it)."""
        lines: dict[Any, list[int]] = {}
        for key, key_node in keys:
            lines.setdefault(key, []).append(key_node.start_mark.line)
        named: dict[str, list[int]] = {}
        kept: dict[str, int] = {}
        for key, written in lines.items():
            named.setdefault(str(key), []).extend(written)
            kept[str(key)] = written[-1]
        self.repeated_keys += [
            RepeatedKey(name, sorted(written), kept[name])
            for name, written in named.items()
            if len(written) > 1
        ]

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        """The scalar as the safe constructor builds it (a merge key, ``<<``, is not plain)."""
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag not in _SCALARS:
            raise _NotPlain
        try:
            return _SCALARS[tag](self, node)
        except _CONSTRUCTION_ERRORS as exc:  # `!!int abc`, `!!bool maybe`
            kind = tag.removeprefix(_TAG)
            problem = f"{node.value!r} is not a valid {kind}"
            raise ConstructorError(None, None, problem, node.start_mark) from exc


# The safe constructor, for what the plain walk hands over, reads timestamps as the walk does.
FrontMatterLoader.add_constructor(_TIMESTAMP, _timestamp)


MAX_JSON_VALUES = 100_000
"""The most values front matter may hold once its aliases are expanded. JSON has no aliases, so
each is copied out; anchors that each list the one before several times ("billion laughs")
expand a few hundred bytes into millions of values, which took minutes and gigabytes."""


MAX_JSON_DEPTH = 100
"""The deepest nesting of front matter read (each level is a call here, and Python's stack is
bounded); no meeting note nests its properties anywhere near this."""


class _TooLarge(Exception):
    """The aliases of a document expand to more than :data:`MAX_JSON_VALUES` values, or it is
    nested more than :data:`MAX_JSON_DEPTH` levels deep."""


def as_json(value: Any, _within: tuple[int, ...] = (), _count: list[int] | None = None) -> Any:
    """What the safe constructor built, as JSON values (the form :class:`FrontMatterLoader`
    builds directly); a value that contains itself raises :class:`_SelfReference`, one too
    large or too deep :class:`_TooLarge`."""
    if _count is None:
        _count = [0]
    _count[0] += 1
    if _count[0] > MAX_JSON_VALUES:
        raise _TooLarge(f"its aliases expand to more than {MAX_JSON_VALUES} values")
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        if id(value) in _within:
            raise _SelfReference("an alias refers to the value it is part of")
        if len(_within) == MAX_JSON_DEPTH:
            raise _TooLarge(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
        within = (*_within, id(value))
        if isinstance(value, dict):
            return {str(k): as_json(v, within, _count) for k, v in value.items()}
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [as_json(v, within, _count) for v in items]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")  # !!binary, as it was written
    return value


# The flat front matter that notes almost always have: ``key: value`` lines at the left
# margin, each value a scalar on its line or a list of scalars on the lines after it, one item
# a line. Read here without libyaml and PyYAML's constructor (four fifths of the cost of front
# matter; the values still resolved by PyYAML's own resolver and constructor methods), and
# only where the text is certain to read the same: anything else (quotes within quotes,
# escapes, comments but after a plain value, indicators, flow or block collections, blank or
# indented lines, tabs, line breaks and spaces YAML reads otherwise than Python, a key written
# twice) goes to the loader. The tests hold it to the loader on generated documents.
_FLAT_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
"""The characters that start no plain scalar (or start one only in some contexts)."""


class _NotFlat(Exception):
    """A value the flat reading leaves to the loader."""


_RESOLVER: Any = None
"""The loader whose resolver and constructor methods read the flat scalars (made once)."""


def _resolved(text: str) -> str:
    """The tag PyYAML's resolver gives a plain scalar: text, without asking it, when no
    resolver is kept for its first character (nor for any, under None), as its ``resolve``
    reads them."""
    resolvers = FrontMatterLoader.yaml_implicit_resolvers
    if text[0] not in resolvers and None not in resolvers:
        return _STR
    global _RESOLVER
    if _RESOLVER is None:
        _RESOLVER = FrontMatterLoader("")
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    return tag


def _flat_scalar(text: str) -> Any:
    """The JSON value of a scalar written alone after ``key: `` or ``- `` (spaces before it
    already skipped), as the loader builds it; :class:`_NotFlat` where it may not be."""
    first = text[0]
    if first == "'" or first == '"':
        if len(text) < 2 or text[-1] != first or first in text[1:-1]:
            raise _NotFlat
        if first == '"' and "\\" in text:
            raise _NotFlat  # an escape
        return text[1:-1]  # a quoted scalar is text, on one line as written
    if first in _FLAT_INDICATORS:
        raise _NotFlat
    comment = text.find(" #")
    if comment >= 0:
        text = text[:comment]
    text = text.rstrip(" ")
    if not text or ": " in text or text.endswith(":"):
        raise _NotFlat
    tag = _resolved(text)
    if tag == _STR:
        return text
    if tag not in _SCALARS:
        raise _NotFlat
    try:
        value = _SCALARS[tag](_RESOLVER, yaml.ScalarNode(tag, text))
    except _CONSTRUCTION_ERRORS as exc:
        raise _NotFlat from exc
    return value.isoformat() if tag == _TIMESTAMP and type(value) is not str else value


_NOT_FLAT = ("", "", None)
"""What :func:`_flat_line` says of a line the flat reading leaves to the loader."""


_SIMPLE_KEY_LIMIT = 1024
"""The longest key YAML reads without a ``?`` before it (PyYAML refuses a longer one: "mapping
values are not allowed here"), so a note python-frontmatter refuses is refused here too."""


@lru_cache(maxsize=4096)
def _flat_line(line: str) -> tuple[str, str, Any]:
    """(``"key"``, the key, its value or ``()`` for none on the line) or (``"item"``, the
    indentation, the value) of a line of flat front matter; :data:`_NOT_FLAT` for any other
    line. A pure function of the line, whose values are immutable, and most lines of a vault's
    front matter come back note after note (``tags:``, ``- generated``, its people): cached."""
    # String methods, not patterns: a compile costs ~3 M instructions in every process, more
    # than the front matter of a small vault.
    # Printable, as Python sees it: no control, tab, line break, byte-order mark or space but
    # " " (YAML reads the others otherwise than Python's strip), each printable to YAML too.
    # Asked here, of each line, so that a line met before costs nothing for it.
    if not line.isprintable():
        return _NOT_FLAT
    try:
        text = line.lstrip(" ")
        if text.startswith("- "):
            value = text[2:].lstrip(" ")
            if not value:
                return _NOT_FLAT
            return "item", line[: len(line) - len(text)], _flat_scalar(value)
        colon = line.find(":")
        key, after = line[:colon], line[colon + 1 :]
        if colon <= 0 or after[:1] not in ("", " ") or not _plain_key(key):
            return _NOT_FLAT
        value = after.lstrip(" ")
        return "key", key, _flat_scalar(value) if value else ()
    except _NotFlat:
        return _NOT_FLAT


@lru_cache(maxsize=1024)
def _plain_key(key: str) -> bool:
    """Whether ``key``, written before a line's first ``:``, is one the flat reading takes:
    a word of ASCII letters, digits, ``-`` and ``_`` that YAML reads as text. Cached apart from
    :func:`_flat_line`: a vault's notes share a few keys, and a line not met before (a title)
    paid ~5 k instructions to ask again of its key (PyYAML's resolver, for ``title``)."""
    return (
        len(key) <= _SIMPLE_KEY_LIMIT
        and key.isascii()
        and (key[0].isalpha() or key[0] == "_")
        and key.replace("-", "a").replace("_", "a").isalnum()
        and _resolved(key) == _STR
    )


def _flat(fm_lines: list[str]) -> dict[str, Any] | None:
    """The front matter as the loader reads it, where it is flat (see above); None: ask the
    loader."""
    if not fm_lines:
        return None
    mapping: dict[str, Any] = {}
    items: list[Any] | None = None  # the list the lines read now go into
    indent = ""
    for line in fm_lines:
        kind, name, value = _flat_line(line)
        if kind == "item":
            if items is None or (items and name != indent):
                return None
            indent = name
            items.append(value)
        elif kind and name not in mapping:
            if type(value) is tuple:  # none on the line: a list may follow
                mapping[name] = items = []
            else:
                mapping[name] = value
                items = None
        else:
            return None
    for key, value in mapping.items():
        if type(value) is list and not value:
            mapping[key] = None  # a key with no list after it
    return mapping


def split_front_matter(lines: list[str]) -> tuple[list[str], int] | None:
    """The front-matter lines and the index of the first body line, or None without front matter."""
    if not lines or lines[0].rstrip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return lines[1:index], index + 1
    return None


def load_front_matter(
    fm_lines: list[str], path: str
) -> tuple[dict[str, Any], ParseWarning | None, list[ParseWarning]]:
    """The front matter as a JSON mapping, or an empty one and why it could not be read; and
    the warnings about what was read (a key written twice).

    The loader is run as ``yaml.load`` (and python-frontmatter's YAML handler) runs it, but
    kept, to ask it which keys were written twice. Flat front matter is read without it
    (:func:`_flat`)."""
    flat = _flat(fm_lines)
    if flat is not None:
        return flat, None, []
    loader = FrontMatterLoader("\n".join(fm_lines))
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        line, problem = _where_and_why(exc, len(fm_lines))
        return {}, _unreadable(path, line, f"is not valid YAML ({problem})"), []
    except (_SelfReference, _TooLarge) as exc:
        return {}, _unreadable(path, 1, f"cannot be read ({exc})"), []
    except _CONSTRUCTION_ERRORS as exc:
        # Only from a document the safe constructor built: the plain walk names the line.
        return {}, _unreadable(path, 1, f"has a value its tag cannot hold ({exc})"), []
    finally:
        loader.dispose()
    if data is None:
        return {}, None, []
    if not isinstance(data, dict):
        return {}, _unreadable(path, 1, "is not a mapping"), []
    return data, None, [_repeated(path, key) for key in loader.repeated_keys]


def _repeated(path: str, key: RepeatedKey) -> ParseWarning:
    """The warning of a key written twice, on the line of the value kept: "key 'date' is
    written twice (lines 3 and 7); the value on line 7 is used, the other is ignored"."""
    lines = sorted({line + 2 for line in key.lines})  # the opening --- is line 1
    kept = key.kept + 2
    times = "twice" if len(key.lines) == 2 else f"{len(key.lines)} times"
    if len(lines) == 1:  # "{a: 1, a: 2}"
        where, which = f"on line {kept}", "the last value"
    else:
        where = f"lines {', '.join(map(str, lines[:-1]))} and {lines[-1]}"
        last = "last " if key.lines.count(key.kept) > 1 else ""
        which = f"the {last}value on line {kept}"
    others = "the other is" if len(key.lines) == 2 else "the others are"
    return ParseWarning(
        path=path,
        line=kept,
        message=f"front matter key {key.name!r} is written {times} ({where});"
        f" {which} is used, {others} ignored",
    )


# The contexts PyYAML's scanner and parser give for a construct that runs on until something
# closes it (a quoted scalar, a flow collection, a simple key, a tag): its start is where the
# mistake most likely is, an unclosed quote found only at the end of the document. The other
# contexts (a block mapping, a mapping being constructed) start where the enclosing collection
# does, often at the top of the document: there the problem mark says where the mistake is.
_UNCLOSED_CONTEXTS = ("while scanning", "while parsing a flow")


def _where_and_why(exc: yaml.YAMLError, fm_count: int) -> tuple[int, str]:
    """The file's line a YAML error is about, and its text: the start of an unclosed construct
    with the range of lines it ran on (``lines 2-4: while scanning a quoted scalar, found
    unexpected end of stream``), else the line the problem was found on. Only for a broken
    document, so it costs a valid one nothing."""
    start = getattr(exc, "context_mark", None)
    problem_mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    last = fm_count - 1  # an error found past the front matter's last line is about that line
    end = min(problem_mark.line, last) if problem_mark is not None else None
    context = getattr(exc, "context", None) or ""
    if start is None or (end is not None and not context.startswith(_UNCLOSED_CONTEXTS)):
        return (end + 2 if end is not None else 1), problem  # the opening --- is line 1
    if end is None or end <= start.line:
        return start.line + 2, f"{context}, {problem}"
    return start.line + 2, f"lines {start.line + 2}-{end + 2}: {context}, {problem}"


def as_written(fm_lines: list[str], key: str) -> str | None:
    """A top-level scalar's text as the YAML spells it, or None when it is no scalar there.

    YAML reads ``title: 2025-10-27 10:00:00`` as a datetime (kept as ``2025-10-27T10:00:00``),
    ``title: yes`` as true and ``title: 1:30`` as 90; a person reading the note, and Obsidian's
    properties, see the text. Composing the document again costs a parse, so callers ask only
    for a value that YAML did not keep as the text.
    """
    found = _top_level(fm_lines, key)
    return found[1].value if found and isinstance(found[1], yaml.ScalarNode) else None


def items_as_written(fm_lines: list[str], key: str) -> list[str | None] | None:
    """A top-level list's items as the YAML spells them (None for an item that is no scalar),
    or None when it is no list there; :func:`as_written` for each item, at the same cost."""
    found = _top_level(fm_lines, key)
    if not found or not isinstance(found[1], yaml.SequenceNode):
        return None
    return [item.value if isinstance(item, yaml.ScalarNode) else None for item in found[1].value]


def key_line(fm_lines: list[str], key: str) -> int:
    """The file's line of a top-level key, for a warning about its value; line 1, where the
    front matter opens, when the key is not written there (it comes from a merge key, ``<<``).
    Composing the document again costs a parse: for warnings only."""
    found = _top_level(fm_lines, key)
    return found[0].start_mark.line + 2 if found else 1  # the opening --- is line 1


def _top_level(fm_lines: list[str], key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """The nodes of a top-level key and its value, or None when the key is not written there."""
    try:
        node = yaml.compose("\n".join(fm_lines), Loader=SafeLoader)
    except yaml.YAMLError:
        return None
    found = None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                # The last one wins, as in the mapping the loader builds.
                found = key_node, value_node
    return found


HELD_BACK = "; plan and sync hold the note back until it is fixed"
"""How the warning of front matter that cannot be read ends. The note's items are still parsed
without it (``plansync parse`` shows them), but a sync would give them no title, date,
participants or account, so the planner holds the note back (:mod:`plansync.engine.held`) and
its conflict says so, naming the items, in place of this ending."""


def _unreadable(path: str, line: int, why: str) -> ParseWarning:
    return ParseWarning(path=path, line=line, message=f"front matter {why}{HELD_BACK}")
