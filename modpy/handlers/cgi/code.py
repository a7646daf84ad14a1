"""CGI scripts compiled once, compiled again when they change on disk, and
run each time in fresh globals as `__main__`.

Pure: no Apache.  The cache key is the file's version, (mtime, size,
inode), which Apache's stat() of the script gives for free; a script edited
in place, replaced by a rename or truncated is seen at the next request.
"""
from __future__ import annotations

import builtins
import threading
import types


class ScriptCache:
    """path -> code object, thread-safe (the worst case is two threads
    compiling the same new version at once; both results are the same)."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[tuple, types.CodeType]] = {}
        self._lock = threading.Lock()

    def code(self, path: str, version: tuple) -> types.CodeType:
        """The code of `path` in `version` (mtime, size, inode).  OSError
        when it cannot be read; SyntaxError (and ValueError for NUL bytes)
        when it does not compile."""
        key = version
        cached = self._code.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
        with self._lock:
            self._code[path] = (key, code)
        return code


def main_globals(path: str) -> dict:
    """A fresh namespace for one run: the script is `__main__`, and nothing
    it defined last time is there."""
    return {"__name__": "__main__", "__file__": path, "__builtins__": builtins,
            "__doc__": None, "__package__": None, "__spec__": None,
            "__loader__": None, "__cached__": None}
