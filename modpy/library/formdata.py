"""Form data: query strings, urlencoded bodies and multipart/form-data,
parsed into the Field objects of mod_python's util.FieldStorage.

Pure: nothing here touches Apache.  A body arrives through a `read(n)`
callable, so the same code serves req.read in Apache and a BytesIO in the
unit tests.  Multipart bodies go through python-multipart's streaming
parser: a file upload is written to its file as the chunks arrive and
never held whole in memory.

Text follows modpy's rule: bytes decode as UTF-8 with surrogateescape, so
hostile bytes in names, values or filenames never raise and encode back
to the very bytes the client sent.
"""
from __future__ import annotations

import io
import tempfile
import urllib.parse
from typing import Callable, Iterable, Optional, Union

from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from modpy.library.unfold import Unfolder

ENCODING, ERRORS = "utf-8", "surrogateescape"
READ_SIZE = 65536
# An upload stays in memory up to this size, then moves to a temporary file.
SPOOL_SIZE = 64 * 1024

Text = Union[str, bytes]


class FormError(ValueError):
    """The client sent a form that cannot be parsed (HTTP 400)."""


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
class StringField(str):
    """A form value: a str with `.value` (itself), as cgi's fields have."""

    @property
    def value(self) -> str:
        return str(self)


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

    @classmethod
    def of_string(cls, name: str, value: str) -> "Field":
        field = cls(name, io.StringIO(value), "text/plain")
        field._value = value
        return field

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
def read_all(read: Callable[[int], bytes]) -> bytes:
    chunks = []
    while True:
        chunk = read(READ_SIZE)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def urlencoded_fields(data: Text, keep_blank_values: bool = False,
                      strict_parsing: bool = False) -> list[Field]:
    try:
        pairs = parse_qsl(data, keep_blank_values, strict_parsing)
    except ValueError as e:
        raise FormError(f"malformed form data: {e}") from None
    return [Field.of_string(name, value) for name, value in pairs]


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type, as bytes."""
    boundary = parse_header(content_type)[1].get("boundary")
    if not boundary or len(boundary) > 200:
        raise FormError("multipart body without a valid boundary")
    return boundary.encode(ENCODING, ERRORS)


class _Multipart:
    """Builds Fields from python-multipart's callbacks as chunks arrive."""

    def __init__(self, file_callback, field_callback) -> None:
        self.file_callback = file_callback or default_file
        self.field_callback = field_callback
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
        ctype, topts = parse_header(self._headers.get("content-type", "text/plain"))
        filename = dopts.get("filename")
        if filename is not None:
            sink = self.file_callback(filename)
        elif self.field_callback is not None:
            sink = self.field_callback()
        else:
            sink = io.BytesIO()
        self._sink = sink
        self._field = Field(name, sink, ctype, topts, disposition, dopts, self._headers, filename)

    def _part_data(self, data, start, end) -> None:
        if self._sink is not None:
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
                     file_callback=None, field_callback=None) -> list[Field]:
    """Stream a multipart/form-data body from `read` into Fields."""
    builder = _Multipart(file_callback, field_callback)
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
    """FieldStorage.list: the Fields in the order the client sent them."""


class FormFields:
    """The mapping part of FieldStorage over a list of Fields: a key gives
    a StringField, an upload's Field, or a list of them when repeated."""

    def __init__(self, fields: Iterable[Field] = ()) -> None:
        self.list = FieldList(fields)

    def _matching(self, key: str) -> list:
        return [field.as_item() for field in self.list if field.name == key]

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
        for field in self.list:
            if field.name == key:
                return field.as_item()
        return default

    def getlist(self, key: str) -> list:
        return self._matching(key)

    def add_field(self, name: str, value: Union[str, Field]) -> None:
        self.list.append(value if isinstance(value, Field) else Field.of_string(name, str(value)))

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
        seen: dict[str, None] = {}
        for field in self.list:
            seen.setdefault(field.name)
        return list(seen)

    def items(self) -> list[tuple[str, object]]:
        return [(key, self[key]) for key in self.keys()]

    def has_key(self, key: str) -> bool:
        return any(field.name == key for field in self.list)

    __contains__ = has_key

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return f"FieldStorage({self.items()!r})"
