"""Form data: query strings, urlencoded bodies and multipart/form-data,
parsed into the Field objects of mod_python's util.FieldStorage.

Pure: nothing here touches Apache.  A body arrives through a `read(n)`
callable, so the same code serves req.read in Apache and a BytesIO in the
unit tests.  Multipart bodies go through python-multipart's streaming
parser: a file upload is written to its file as the chunks arrive and
never held whole in memory.

A form is bounded by its Limits (PythonOptions mod_python.form.max_fields,
.max_size and .max_files): fields, the bytes held in memory (an urlencoded
body, the text of multipart inputs) and upload files; past one the parse
stops with FormTooLarge (HTTP 413) before the excess is read or kept.
Fields are found through an index by name, so a form of many fields costs
time in proportion to its size, never its square.

Text follows modpy's rule: bytes decode as UTF-8 with surrogateescape, so
hostile bytes in names, values or filenames never raise and encode back
to the very bytes the client sent.
"""
from __future__ import annotations

import io
import tempfile
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional, Union

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from modpy.library.unfold import Unfolder

ENCODING, ERRORS = "utf-8", "surrogateescape"
# the first python-multipart whose MultipartParser takes max_header_count
# (pyproject.toml's floor must be at least this)
MULTIPART_FLOOR = (0, 0, 27)
READ_SIZE = 65536
# An upload stays in memory up to this size, then moves to a temporary file.
SPOOL_SIZE = 64 * 1024

Text = Union[str, bytes]


class FormError(ValueError):
    """The client sent a form that cannot be parsed (HTTP 400)."""
    status = 400


class FormTooLarge(FormError):
    """The client sent a form past one of the Limits (HTTP 413)."""
    status = 413


@dataclass(frozen=True)
class Limits:
    """How much of a form is parsed, as a careful framework bounds it
    (Django's defaults): fields (query string and body together), bytes
    held in memory (an urlencoded body; the text of all multipart inputs
    that are not uploads) and upload files (each may take a descriptor
    until the request ends)."""
    max_fields: int = 1000
    max_size: int = 2621440            # 2.5 MiB
    max_files: int = 100

    OPTIONS = {"max_fields": "mod_python.form.max_fields",
               "max_size": "mod_python.form.max_size",
               "max_files": "mod_python.form.max_files"}

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> "Limits":
        """The limits PythonOptions set; ValueError naming a bad one."""
        values = {}
        for attr, option in cls.OPTIONS.items():
            text = options.get(option)
            if text is None:
                continue
            value = int(text) if text.strip().isdigit() else 0
            if value < 1:
                raise ValueError(f"PythonOption {option} {text!r}: give a positive whole number")
            values[attr] = value
        return cls(**values)


class Budget:
    """What is left of a form's Limits as its fields are parsed."""

    def __init__(self, limits: Limits) -> None:
        self.fields, self.size, self.files = limits.max_fields, limits.max_size, limits.max_files

    def take_fields(self, n: int = 1) -> None:
        self.fields -= n
        if self.fields < 0:
            raise FormTooLarge(f"more form fields than {Limits.OPTIONS['max_fields']} allows")

    def check_bytes(self, n: int) -> None:
        if n > self.size:
            raise FormTooLarge(f"more form data in memory than {Limits.OPTIONS['max_size']} allows")

    def take_bytes(self, n: int) -> None:
        self.check_bytes(n)
        self.size -= n

    def take_file(self) -> None:
        self.files -= 1
        if self.files < 0:
            raise FormTooLarge(f"more uploaded files than {Limits.OPTIONS['max_files']} allows")


def _text(data: Text) -> str:
    return data if isinstance(data, str) else bytes(data).decode(ENCODING, ERRORS)


# query strings ----------------------------------------------------------
def parse_qsl(qs: Text, keep_blank_values: bool = False,
              strict_parsing: bool = False) -> list[tuple[str, str]]:
    """[(name, value), ...] of an application/x-www-form-urlencoded string.

    Blank values are dropped unless keep_blank_values; with strict_parsing
    a field without '=' raises ValueError.  '&' separates fields (';' is
    no separator: it let caches and servers disagree on the fields)."""
    return urllib.parse.parse_qsl(_text(qs), keep_blank_values, strict_parsing,
                                  encoding=ENCODING, errors=ERRORS)


def parse_qs(qs: Text, keep_blank_values: bool = False,
             strict_parsing: bool = False) -> dict[str, list[str]]:
    """{name: [value, ...]} of a query string, as parse_qsl reads it."""
    result: dict[str, list[str]] = {}
    for name, value in parse_qsl(qs, keep_blank_values, strict_parsing):
        result.setdefault(name, []).append(value)
    return result


def parse_header(value: Text) -> tuple[str, dict[str, str]]:
    """('form-data', {'name': 'a', ...}) of a header with parameters."""
    main, params = parse_options_header(value.encode(ENCODING, ERRORS) if isinstance(value, str)
                                        else value)
    return _text(main).lower(), {_text(k).lower(): _text(v) for k, v in params.items()}


# fields ------------------------------------------------------------------
class _TextMembers:
    """What a text input has of a Field's members, the same for all."""

    __slots__ = ()
    filename = None
    type = "text/plain"
    type_options: dict = {}
    disposition = None
    disposition_options: dict = {}
    headers: dict = {}


class StringField(str):
    """A form value as FieldStorage[name] gives it: a str with `.value`
    (itself), as cgi's fields have.  Nothing is stored on it: a str
    subclass with an attribute of its own costs some 500 bytes more."""

    @property
    def value(self) -> str:
        return str(self)


class TextField(_TextMembers):
    """An urlencoded input in FieldStorage.list: its name and value and
    nothing more per field (a str subclass with a name would cost some 500
    bytes a field, this about 60), made into a StringField when asked for."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    @property
    def file(self) -> io.StringIO:
        return io.StringIO(self.value)

    def as_item(self) -> StringField:
        return StringField(self.value)

    def __repr__(self) -> str:
        """As Field shows itself (mod_python's: name and value as bytes)."""
        return f"Field({_raw(self.name)!r}, {_raw(self.value)!r})"


class Field:
    """One form input: its name, headers and a file holding its data.

    For a file upload `file` is the temporary file (or what file_callback
    made) and `value` reads all of it as bytes; for other inputs `file`
    holds the text and `value` is the str."""

    def __init__(self, name: Optional[str], file=None, type: Optional[str] = None,
                 type_options: Optional[dict] = None, disposition: Optional[str] = None,
                 disposition_options: Optional[dict] = None, headers: Optional[dict] = None,
                 filename: Optional[str] = None) -> None:
        self.name = name
        self.file = file
        self.type = type
        self.type_options = type_options or {}
        self.disposition = disposition
        self.disposition_options = disposition_options or {}
        self.headers = headers or {}
        self.filename = filename
        self._value: Optional[str] = None

    @property
    def value(self):
        if self._value is not None:
            return self._value
        if self.file is None:
            return None
        where = self.file.tell()
        self.file.seek(0)
        try:
            return self.file.read()
        finally:
            self.file.seek(where)

    def as_item(self):
        """What FieldStorage[name] gives: a StringField unless an upload."""
        if self.filename is not None:
            return self
        return StringField(self.value)

    def __repr__(self) -> str:
        """As mod_python 3.5 shows a field on Python 3: name and value as
        bytes (an upload shows its filename, not its whole content)."""
        shown = self.value if self.filename is None else self.filename
        return f"Field({_raw(self.name)!r}, {_raw(shown)!r})"


def _raw(text):
    return text.encode(ENCODING, ERRORS) if isinstance(text, str) else text


def default_file(filename: Optional[str]):
    """Where an upload goes: memory first, a private temporary file (gone
    when closed) past SPOOL_SIZE bytes."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE, mode="w+b")


# bodies ------------------------------------------------------------------
def read_all(read: Callable[[int], bytes], budget: Budget) -> bytes:
    """The whole body, which must fit the budget's bytes: reading stops
    (FormTooLarge) as soon as it does not."""
    chunks = []
    while True:
        chunk = read(READ_SIZE)
        if not chunk:
            return b"".join(chunks)
        budget.take_bytes(len(chunk))
        chunks.append(chunk)


def urlencoded_fields(data: Text, keep_blank_values: bool = False,
                      strict_parsing: bool = False,
                      budget: Optional[Budget] = None) -> list[TextField]:
    """The fields of an urlencoded string; with a budget, counted (each
    '&'-separated piece, before any is parsed) against its fields."""
    if budget is not None:
        budget.take_fields(data.count("&" if isinstance(data, str) else b"&") + 1)
    try:
        pairs = parse_qsl(data, keep_blank_values, strict_parsing)
    except ValueError as e:
        raise FormError(f"malformed form data: {e}") from None
    return [TextField(name, value) for name, value in pairs]


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type, as bytes."""
    boundary = parse_header(content_type)[1].get("boundary")
    if not boundary or len(boundary) > 200:
        raise FormError("multipart body without a valid boundary")
    return boundary.encode(ENCODING, ERRORS)


class _Multipart:
    """Builds Fields from python-multipart's callbacks as chunks arrive,
    within the budget: every named part is a field, every upload a file,
    and the data of every other part is held in memory."""

    def __init__(self, file_callback, field_callback, budget: Budget) -> None:
        self.file_callback = file_callback or default_file
        self.field_callback = field_callback
        self.budget = budget
        self.fields: list[Field] = []
        self.done = False
        self._headers: dict[str, str] = {}
        self._name = self._value = b""
        self._field: Optional[Field] = None
        self._sink = None

    def callbacks(self) -> dict:
        return {"on_part_begin": self._part_begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
                "on_part_end": self._part_end, "on_end": self._end}

    def _part_begin(self) -> None:
        self._headers, self._field, self._sink = {}, None, None

    def _header_field(self, data, start, end) -> None:
        self._name += data[start:end]

    def _header_value(self, data, start, end) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[_text(self._name).strip().lower()] = _text(self._value).strip()
        self._name = self._value = b""

    def _headers_finished(self) -> None:
        disposition, dopts = parse_header(self._headers.get("content-disposition", ""))
        name = dopts.get("name")
        if name is None:
            return                        # a part no form input made: skipped
        self.budget.take_fields()
        ctype, topts = parse_header(self._headers.get("content-type", "text/plain"))
        filename = dopts.get("filename")
        if filename is not None:
            self.budget.take_file()
            sink = self.file_callback(filename)
        elif self.field_callback is not None:
            sink = self.field_callback()
        else:
            sink = io.BytesIO()
        self._sink = sink
        self._field = Field(name, sink, ctype, topts, disposition, dopts, self._headers, filename)

    def _part_data(self, data, start, end) -> None:
        if self._sink is not None:
            if self._field.filename is None:
                self.budget.take_bytes(end - start)
            self._sink.write(data[start:end])

    def _part_end(self) -> None:
        field = self._field
        if field is None:
            return
        field.file.seek(0)
        if field.filename is None:
            field._value = _text(field.file.read())
            field.file.seek(0)
        self.fields.append(field)
        self._field = self._sink = None

    def _end(self) -> None:
        self.done = True


def multipart_fields(read: Callable[[int], bytes], boundary: bytes,
                     file_callback=None, field_callback=None,
                     budget: Optional[Budget] = None) -> list[Field]:
    """Stream a multipart/form-data body from `read` into Fields."""
    builder = _Multipart(file_callback, field_callback, budget or Budget(Limits()))
    parser = MultipartParser(boundary, builder.callbacks(), max_header_count=32)
    unfolder = Unfolder(boundary)            # folded part headers, which python-multipart refuses
    try:
        while not builder.done:
            chunk = read(READ_SIZE)
            if not chunk:
                parser.write(unfolder.flush())
                break
            parser.write(unfolder.feed(chunk))
        parser.finalize()
    except MultipartParseError as e:
        raise FormError(f"malformed multipart body: {e}") from None
    if not builder.done:
        raise FormError("multipart body ended before its closing boundary")
    return builder.fields


# the mapping ---------------------------------------------------------------
class FieldList(list):
    """FieldStorage.list: the Fields in the order the client sent them,
    with an index by name made when first asked for and dropped by any
    change to the list."""

    _index: Optional[dict] = None

    def index_by_name(self) -> dict[str, list]:
        index = self._index
        if index is None:
            index = {}
            for field in self:
                index.setdefault(field.name, []).append(field)
            self._index = index
        return index


def _dropping_index(name: str):
    change = getattr(list, name)

    def method(self, *args, **kwargs):
        self._index = None
        return change(self, *args, **kwargs)
    method.__name__ = name
    return method


for _name in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend",
              "insert", "pop", "remove", "clear", "sort", "reverse"):
    setattr(FieldList, _name, _dropping_index(_name))


class FormFields:
    """The mapping part of FieldStorage over a list of Fields: a key gives
    a StringField, an upload's Field, or a list of them when repeated."""

    def __init__(self, fields: Iterable[Field] = ()) -> None:
        self.list = FieldList(fields)

    def _matching(self, key: str) -> list:
        return [field.as_item() for field in self.list.index_by_name().get(key, ())]

    def __getitem__(self, key: str):
        found = self._matching(key)
        if not found:
            raise KeyError(key)
        return found[0] if len(found) == 1 else found

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def getfirst(self, key: str, default=None):
        found = self.list.index_by_name().get(key)
        return found[0].as_item() if found else default

    def getlist(self, key: str) -> list:
        return self._matching(key)

    def add_field(self, name: str, value: Union[str, Field]) -> None:
        self.list.append(value if isinstance(value, Field) else TextField(name, str(value)))

    def __setitem__(self, key: str, value) -> None:
        self.list[:] = [f for f in self.list if f.name != key]
        self.add_field(key, value)

    def __delitem__(self, key: str) -> None:
        if not self.has_key(key):
            raise KeyError(key)
        self.list[:] = [f for f in self.list if f.name != key]

    def clear(self) -> None:
        self.list.clear()

    def keys(self) -> list[str]:
        return list(self.list.index_by_name())

    def items(self) -> list[tuple[str, object]]:
        return [(key, self[key]) for key in self.keys()]

    def has_key(self, key: str) -> bool:
        return key in self.list.index_by_name()

    __contains__ = has_key

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.list.index_by_name())

    def __repr__(self) -> str:
        return f"FieldStorage({self.items()!r})"
