"""The PSP template language, translated to Python source (pure; no Apache).

    text            -> req.write('text', 0)
    <%= expr %>     -> req.write(str(expr), 0)
    <% code %>      -> the code
    <%@ include file="other.psp" %>   -> other.psp translated in place
    <%-- comment --%>                  -> nothing

Indentation follows the manual: the indentation of the last line of a
code block (even a comment) persists for the text and expressions after it,
until the next code block.  A multi-line block is placed as written; a
one-line block (`<% x = 1 %>`) goes at the current indentation.  A block
whose last line ends with ":" opens one more level (4 spaces) so that
`<% for x in xs: %>` works on one line too.

Every generated line remembers the template file and line it came from, so
errors can name the template line instead of the generated code's.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

MAX_INCLUDE_DEPTH = 16
_INCLUDE = re.compile(r'^\s*include\s+file\s*=\s*"([^"]+)"\s*$')


class PSPSyntaxError(SyntaxError):
    """A template that cannot be translated; says file and line."""

    def __init__(self, message: str, filename: str, line: int) -> None:
        super().__init__(f"{filename}, line {line}: {message}")
        self.filename, self.lineno = filename, line


@dataclass
class Translation:
    """Python source and, per source line, (template file, template line)."""

    lines: list[str] = field(default_factory=list)
    origins: list[tuple[str, int]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)   # templates read (includes too)

    @property
    def source(self) -> str:
        return "\n".join(self.lines) + "\n"

    def origin(self, lineno: int) -> tuple[str, int]:
        """Template (file, line) of generated line `lineno` (1-based)."""
        if 1 <= lineno <= len(self.origins):
            return self.origins[lineno - 1]
        return self.origins[-1] if self.origins else ("<psp>", 0)

    def emit(self, text: str, origin: tuple[str, int]) -> None:
        for i, line in enumerate(text.split("\n")):
            self.lines.append(line)
            self.origins.append((origin[0], origin[1] + i))


def _read_file(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


class _Translator:
    def __init__(self, read: Callable[[str], str]) -> None:
        self.read = read
        self.out = Translation()
        self.indent = ""

    def template(self, text: str, filename: str, depth: int = 0) -> None:
        pos, line = 0, 1
        while True:
            start = text.find("<%", pos)
            chunk = text[pos:] if start < 0 else text[pos:start]
            if chunk:
                self.out.emit(f"{self.indent}req.write({chunk!r}, 0)", (filename, line))
                line += chunk.count("\n")
            if start < 0:
                return
            if text.startswith("<%--", start):
                end, close = text.find("--%>", start + 4), "--%>"
            else:
                end, close = text.find("%>", start + 2), "%>"
            if end < 0:
                raise PSPSyntaxError(f"'{text[start:start + 4]}' is never closed by '{close}'",
                                     filename, line)
            body = text[start + 2:end]
            kind = body[:1]
            if text.startswith("<%--", start):
                pass
            elif kind == "=":
                self.expression(body[1:], filename, line)
            elif kind == "@":
                self.directive(body[1:], filename, line, depth)
            else:
                self.code(body, filename, line)
            line += text[start:end + len(close)].count("\n")
            pos = end + len(close)

    def expression(self, expr: str, filename: str, line: int) -> None:
        expr = expr.strip()
        if not expr:
            raise PSPSyntaxError("empty expression '<%= %>'", filename, line)
        self.out.emit(f"{self.indent}req.write(str({expr}), 0)", (filename, line))

    def directive(self, body: str, filename: str, line: int, depth: int) -> None:
        match = _INCLUDE.match(body)
        if not match:
            raise PSPSyntaxError(f"unknown directive '<%@{body}%>' (only include file=\"...\")",
                                 filename, line)
        if depth >= MAX_INCLUDE_DEPTH:
            raise PSPSyntaxError("includes nested too deep (a file including itself?)", filename, line)
        base = os.path.dirname(filename) if os.path.isabs(filename) else ""
        path = os.path.join(base, match.group(1))
        try:
            text = self.read(path)
        except OSError as e:
            raise PSPSyntaxError(f"cannot include {path!r}: {e.strerror or e}", filename, line) from None
        self.out.files.append(path)
        self.template(text, path, depth + 1)

    def code(self, body: str, filename: str, line: int) -> None:
        lines = body.split("\n")
        if len(lines) == 1:
            stmt = lines[0].strip()
            if stmt:
                self.out.emit(self.indent + stmt, (filename, line))
                if stmt.endswith(":"):
                    self.indent += "    "
            return
        first, rest = lines[0].strip(), lines[1:]
        if rest and not rest[-1].strip():
            rest = rest[:-1]                    # the line `%>` stands on
        last = None
        if first:
            self.out.emit(first, (filename, line))
            last = first
        for i, text in enumerate(rest, start=1):
            text = text.rstrip()
            if text.strip():
                self.out.emit(text, (filename, line + i))
                last = text
        if last is None:
            self.indent = ""
        else:
            self.indent = last[:len(last) - len(last.lstrip())]
            if last.rstrip().endswith(":"):
                self.indent += "    "


def translate(text: str, filename: str = "<string>",
              read: Optional[Callable[[str], str]] = None) -> Translation:
    """Translate a PSP template to Python source.  `read(path)` gives the
    text of an included file (default: read it from disk, UTF-8)."""
    translator = _Translator(read or _read_file)
    translator.out.files.append(filename)
    translator.template(text, filename)
    if not translator.out.lines:
        translator.out.emit("pass", (filename, 1))
    return translator.out
