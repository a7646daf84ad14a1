"""Can Apache's children read modpy?  A root parent loads the module, then
its children switch to `User`/`Group` (Debian: www-data) and import Python
modules lazily from then on.  A venv or interpreter under a 0700 home
directory loads fine as root and then fails in every child with an
ImportError, so `python -m modpy module-config` checks ahead of time.

The rule is the plain Unix mode-bit rule (owner, then group, then other);
ACLs and capabilities are not consulted, so the check can only err towards
a warning.  `allows` is pure; `problems` walks the file system.
"""
from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

READ, WRITE, EXECUTE = 4, 2, 1
SKIP_DIRS = frozenset({"__pycache__"})   # bytecode caches: Python falls back to the source


@dataclass(frozen=True)
class Identity:
    """Who Apache's children run as: a uid and every group they hold."""

    name: str
    uid: int
    gids: frozenset

    @classmethod
    def of(cls, user: str, group: Optional[str] = None) -> "Identity":
        """Apache's children: setgid(Group), initgroups(User), setuid(User)."""
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            raise ValueError(f"no such user: {user}") from None
        try:
            gid = grp.getgrnam(group).gr_gid if group else pw.pw_gid
        except KeyError:
            raise ValueError(f"no such group: {group}") from None
        return cls(user, pw.pw_uid, frozenset(os.getgrouplist(user, gid)) | {gid})


def allows(mode: int, owner: int, group: int, who: Identity, want: int) -> bool:
    """Whether `who` has all the `want` bits (READ|EXECUTE...) on a file
    with this mode, owner and group.  Root reads and searches anything."""
    if who.uid == 0:
        return True
    if owner == who.uid:
        bits = mode >> 6
    elif group in who.gids:
        bits = mode >> 3
    else:
        bits = mode
    return bits & want == want


@dataclass(frozen=True)
class Problem:
    """One path `who` cannot use as it must."""

    path: str
    need: str          # "read", or "search" (a directory's x bit)
    mode: int
    owner: int
    group: int

    @classmethod
    def at(cls, path: str, st: os.stat_result, need: str) -> "Problem":
        return cls(path, need, st.st_mode, st.st_uid, st.st_gid)

    def __str__(self) -> str:
        kind = "directory" if stat.S_ISDIR(self.mode) else "file"
        adjective = "searchable" if self.need == "search" else "readable"
        return (f"{self.path}: {kind} not {adjective} (mode {stat.S_IMODE(self.mode):04o}, "
                f"owner {_user(self.owner)}, group {_group(self.group)})")


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _check(path: str, who: Identity) -> Optional[Problem]:
    """The problem with one path itself (not its ancestors), if any."""
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        for want, need in ((EXECUTE, "search"), (READ, "read")):
            if not allows(st.st_mode, st.st_uid, st.st_gid, who, want):
                return Problem.at(path, st, need)
        return None
    if not allows(st.st_mode, st.st_uid, st.st_gid, who, READ):
        return Problem.at(path, st, "read")
    return None


def _ancestors(path: str) -> list[str]:
    """Every directory above `path`, from / down."""
    parents = []
    parent = os.path.dirname(path)
    while parent and parent not in parents:
        parents.append(parent)
        if parent == os.path.dirname(parent):
            break
        parent = os.path.dirname(parent)
    return parents[::-1]


def problems(paths: Iterable[str], who: Identity) -> Iterator[Problem]:
    """Each place that stops `who` from reading the given files and
    directories (directories with everything in them).  A directory that
    cannot be entered is reported once, not once per file below it."""
    seen: set[str] = set()
    for top in paths:
        top = os.path.abspath(top)
        if not os.path.exists(top):
            continue
        blocked = False
        for parent in _ancestors(top):
            st = os.stat(parent)
            if not allows(st.st_mode, st.st_uid, st.st_gid, who, EXECUTE):
                if parent not in seen:
                    seen.add(parent)
                    yield Problem.at(parent, st, "search")
                blocked = True
                break
        if not blocked:
            yield from _walk(top, who, seen)


def _walk(top: str, who: Identity, seen: set) -> Iterator[Problem]:
    problem = _check(top, who)
    if problem:
        if top not in seen:
            seen.add(top)
            yield problem
        return
    if not os.path.isdir(top):
        return
    for root, dirs, files in os.walk(top):
        kept = []
        for name in sorted(dirs):
            path = os.path.join(root, name)
            if name in SKIP_DIRS or os.path.islink(path):
                continue
            problem = _check(path, who)
            if problem is None:
                kept.append(name)
            elif path not in seen:
                seen.add(path)
                yield problem
        dirs[:] = kept
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.exists(path) and path not in seen:     # skips dangling symlinks
                problem = _check(path, who)
                if problem:
                    seen.add(path)
                    yield problem
