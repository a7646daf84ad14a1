"""mod_python's `Session` module: Session, BaseSession, DbmSession,
FileSession, MemorySession (the manual's "Session -- Session Management"),
and RedisSession, whose sessions several Apache servers can share.

A session is a dict saved under an id the client keeps in a cookie
(`pysid` unless PythonOption mod_python.session.cookie_name says).  Ids
come from `secrets` (128 bits, 32 hex digits); an id of any other shape,
unknown or expired starts a new session, so a client can never make a
file or DBM session reach outside its directory.

The cookie is SameSite=Lax, and Secure when the request came over HTTPS;
HttpOnly with PythonOption mod_python.session.cookie_httponly On (off by
default, as mod_python 3.5 sets it: its own test suite reads every
attribute of the session cookie as name=value, and code written for it
may too).  .cookie_secure and .cookie_samesite change the others.  At login, call regenerate_id(): the session keeps its data
under a new id, so an id an attacker planted before (session fixation)
is worth nothing after.

With locking on (the default) one request at a time holds a session:
lock() waits for it and registers a request cleanup that unlocks it when
the request is over (see modpy.library.sessionlock for how processes and threads
are covered).  Saved data is pickled; it never comes from the client.
"""
from __future__ import annotations

import dbm as _dbm
import os
import pickle
import random
import re
import secrets
import stat
import tempfile
import threading
import time
from typing import Optional

from modpy.config.model import ON_WORDS
from modpy.library.Cookie import Cookie, SignedCookie, get_cookies, set_cookie_header
from modpy.library.sessionlock import FileLock, KeyLock, LockTimeout  # noqa: F401

__all__ = ["Session", "BaseSession", "DbmSession", "FileSession", "MemorySession",
           "RedisSession", "COOKIE_NAME", "DFT_TIMEOUT", "CLEANUP_CHANCE"]

COOKIE_NAME = "pysid"
DFT_TIMEOUT = 30 * 60            # seconds
DFT_LOCK_WAIT = 60               # seconds a request waits for a session's lock
CLEANUP_CHANCE = 1000            # cleanup() runs once in this many new sessions

_SID = re.compile(r"[0-9a-f]{32}")


def new_sid() -> str:
    return secrets.token_hex(16)


def valid_sid(sid) -> bool:
    return isinstance(sid, str) and _SID.fullmatch(sid) is not None


def expired(record: dict, now: float, grace: float = 0) -> bool:
    return now - record["_accessed"] > record["_timeout"] + grace


def _flag(value, default: bool) -> bool:
    """A PythonOption as a boolean (1/0, true/false, on/off, yes/no)."""
    if value is None or value == -1:
        return default
    if isinstance(value, (bool, int)):
        return bool(value)
    return str(value).strip().lower() in ON_WORDS


_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}


def _samesite(value) -> Optional[str]:
    """PythonOption mod_python.session.cookie_samesite: Strict, Lax, None
    (sent as SameSite=None) or off (no attribute)."""
    text = str(value).strip().lower()
    if text == "off":
        return None
    if text not in _SAMESITE:
        raise ValueError(f"PythonOption mod_python.session.cookie_samesite {value!r}: "
                         f"one of Strict, Lax, None, off")
    return _SAMESITE[text]


def _option(options, *names, default=None):
    """The first of several PythonOption names set (newest name first)."""
    for name in names:
        value = options.get(name)
        if value:
            return value
    return default


class BaseSession(dict):
    """A session as a dict; subclasses say where it is stored (do_load,
    do_save, do_delete, do_cleanup) and how it is locked (_make_lock)."""

    def __init__(self, req, sid=None, secret=None, timeout=0, lock=1) -> None:
        dict.__init__(self)
        self._req = req
        self._options = req.get_options()
        self._secret = secret
        self._cookie_name = _option(self._options, "mod_python.session.cookie_name",
                                    default=COOKIE_NAME)
        self._lock_wait = float(_option(self._options, "mod_python.session.lock_wait",
                                        default=DFT_LOCK_WAIT))
        self._new = True
        self._locked = False
        self._lock_obj = None
        self._unlock_registered = False
        self._invalid = False
        self._stored = False          # a record of this id exists in the store
        self._created = self._accessed = time.time()
        self._timeout = timeout or DFT_TIMEOUT
        self._sid = None

        if sid and not valid_sid(sid):       # one the caller gave: mod_python's error
            raise ValueError(f"Invalid Session ID: sid={sid}")
        sid = sid or self._sid_from_cookie()
        if valid_sid(sid):
            self._sid = sid
            self.init_lock()
            if lock:
                self.lock()
            if self.load():
                self._new = False
            elif lock:
                self.unlock()
        if self._new:
            self._sid = new_sid()
            self.init_lock()
            if lock:
                self.lock()
            self._created = self._accessed = time.time()
            self.make_cookie()
        if timeout:
            self._timeout = timeout
        if random.randint(1, CLEANUP_CHANCE) == 1:
            self.cleanup()

    # the cookie ------------------------------------------------------
    def _sid_from_cookie(self) -> Optional[str]:
        names = [self._cookie_name]
        if self._secret:
            found = get_cookies(self._req, SignedCookie, secret=self._secret,
                                mismatch=Cookie.IGNORE, names=names)
        else:
            found = get_cookies(self._req, Cookie, names=names)
        cookie = found.get(self._cookie_name)
        return cookie.value if cookie is not None else None

    def _new_cookie(self) -> Cookie:
        if self._secret:
            cookie = SignedCookie(self._cookie_name, self._sid, self._secret)
        else:
            cookie = Cookie(self._cookie_name, self._sid)
        cookie.path = _option(self._options, "mod_python.session.application_path",
                              "ApplicationPath") or self._cookie_path()
        domain = _option(self._options, "mod_python.session.application_domain")
        if domain:
            cookie.domain = domain
        options = self._options
        cookie.httponly = _flag(options.get("mod_python.session.cookie_httponly"), False)
        secure = options.get("mod_python.session.cookie_secure")
        cookie.secure = _flag(secure, False) if secure else bool(self._req.is_https())
        cookie.samesite = _samesite(options.get("mod_python.session.cookie_samesite") or "Lax")
        return cookie

    def make_cookie(self) -> None:
        """Send the session id cookie, on error responses too."""
        set_cookie_header(self._req.err_headers_out, self._new_cookie())

    def _cookie_path(self) -> str:
        """The directory of the handler in effect, relative to the
        DocumentRoot; "/" when it is not below it (or is a Location)."""
        directory = getattr(getattr(self._req, "hlist", None), "directory", None)
        root = _document_root(self._req)
        if not directory or not root:
            return "/"
        directory, root = os.path.normpath(directory), os.path.normpath(root)
        if directory.startswith(root.rstrip("/") + "/"):
            return directory[len(root.rstrip("/")):]
        return "/"

    # the manual's methods ----------------------------------------------
    def is_new(self) -> bool:
        return self._new

    def id(self) -> str:
        return self._sid

    def created(self) -> float:
        return self._created

    def last_accessed(self) -> float:
        return self._accessed

    def timeout(self) -> int:
        return self._timeout

    def set_timeout(self, secs: int) -> None:
        self._timeout = secs

    def regenerate_id(self) -> str:
        """Give the session a new id, keeping its data (saved under the new
        id by save()), and send the new cookie; the old id is deleted from
        the store.  Call it when the user logs in or gains rights, so an id
        someone else knew before (session fixation) opens nothing after."""
        locked = self._locked
        self.do_delete()
        self._stored = False
        self.unlock()
        self._sid = new_sid()
        self.init_lock()
        if locked:
            self.lock()
        self.make_cookie()
        return self._sid

    def invalidate(self) -> None:
        """Delete the session and tell the client to drop its cookie."""
        cookie = self._new_cookie()
        cookie.expires = 0
        set_cookie_header(self._req.err_headers_out, cookie)
        self.delete()
        self._invalid = True

    def load(self) -> bool:
        """Read the session from the store; False if there is none or it
        has expired (an expired one is deleted)."""
        record = self.do_load()
        if record is None:
            return False
        if expired(record, time.time()):
            self.do_delete()
            return False
        self._created = record["_created"]
        self._accessed = record["_accessed"]
        self._timeout = record["_timeout"]
        self.clear()
        self.update(record["_data"])
        self._stored = True
        return True

    def save(self) -> None:
        """Write the session to the store (not after invalidate())."""
        if self._invalid:
            return
        self._accessed = time.time()
        self.do_save({"_data": dict(self), "_created": self._created,
                      "_accessed": self._accessed, "_timeout": self._timeout})
        self._stored = True

    def delete(self) -> None:
        self.do_delete()
        self._stored = False
        self.clear()

    def init_lock(self) -> None:
        self._lock_obj = self._make_lock()

    def lock(self) -> None:
        """Wait for the session's lock; it is released when the request
        is over, if unlock() was not called before."""
        if self._locked:
            return
        held = _locks_of(self._req)
        if self._sid in held:
            raise RuntimeError(f"session {self._sid} is already locked by another Session object "
                               f"of this request: waiting would never end; use that object "
                               f"(keep it as req.session) or make it with lock=0")
        self._lock_obj.acquire()
        self._locked = True
        held.add(self._sid)
        if not self._unlock_registered:
            self._unlock_registered = True
            self._req.register_cleanup(_unlock, self)

    def unlock(self) -> None:
        if self._locked:
            self._locked = False
            _locks_of(self._req).discard(self._sid)
            self._lock_obj.release(remove=not self._stored)

    def cleanup(self) -> None:
        """Remove expired sessions, after this request (see CLEANUP_CHANCE)."""
        self._req.register_cleanup(_run_cleanup, self)

    # the store: subclasses -----------------------------------------------
    def _make_lock(self):
        raise NotImplementedError

    def do_load(self) -> Optional[dict]:
        raise NotImplementedError

    def do_save(self, record: dict) -> None:
        raise NotImplementedError

    def do_delete(self) -> None:
        raise NotImplementedError

    def do_cleanup(self) -> None:
        pass


def _locks_of(req) -> set:
    """The session ids the Session objects of this request hold locked."""
    held = getattr(req, "_session_locks", None)
    if held is None:
        held = req._session_locks = set()
    return held


def _unlock(session: BaseSession) -> None:
    session.unlock()


def _run_cleanup(session: BaseSession) -> None:
    try:
        session.do_cleanup()
    except Exception as e:           # a cleanup must not disturb the request's end
        session._req.log_error(f"session cleanup failed: {type(e).__name__}: {e}")


def _document_root(req) -> Optional[str]:
    document_root = getattr(req, "document_root", None)
    if callable(document_root):
        return document_root()
    req.add_common_vars()
    return req.subprocess_env.get("DOCUMENT_ROOT")


def trusted(path: str) -> None:
    """Refuse a store another local user could have written: records are
    unpickled, so one planted in a shared /tmp would run code as the server.
    A file or directory must be ours (or root's), no symlink, and not
    writable by others."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or st.st_uid not in (os.geteuid(), 0) or st.st_mode & 0o002:
        raise PermissionError(f"session store {path} is not safe to use: it must belong to the "
                              f"server's user (or root), not be a symlink, and not be writable "
                              f"by others")


def _private_dir(path: str) -> str:
    os.makedirs(path, mode=0o700, exist_ok=True)
    trusted(path)
    return path


def _read_record(data: bytes) -> Optional[dict]:
    """A stored record, or None for one that cannot be read (a truncated
    file after a crash): that session simply starts anew."""
    try:
        record = pickle.loads(data)
    except Exception:
        return None
    return record if isinstance(record, dict) and "_data" in record else None


# DBM ---------------------------------------------------------------------
class DbmSession(BaseSession):
    """Sessions in one dbm file, opened for each access under an
    exclusive lock (no dbm module is safe for concurrent writers)."""

    def __init__(self, req, dbm=None, sid=0, secret=None, dbmtype=_dbm, timeout=0, lock=1) -> None:
        if not dbm:
            opts = req.get_options()
            dbm = _option(opts, "mod_python.dbm_session.database_filename", "session_dbm")
            if not dbm:
                directory = _option(opts, "mod_python.dbm_session.database_directory",
                                    "mod_python.session.database_directory", "session_directory",
                                    default=tempfile.gettempdir())
                dbm = os.path.join(directory, "mp_sess.dbm")
        self._dbmfile = dbm
        self._dbmtype = dbmtype
        super().__init__(req, sid, secret, timeout, lock)

    def _make_lock(self):
        return FileLock(os.path.join(_private_dir(self._dbmfile + ".locks"), self._sid),
                        self._lock_wait)

    def _open(self):
        return _DbmAccess(self._dbmfile, self._dbmtype, self._lock_wait)

    def do_load(self):
        with self._open() as db:
            data = db.get(self._sid.encode())
        return None if data is None else _read_record(data)

    def do_save(self, record):
        with self._open() as db:
            db[self._sid.encode()] = pickle.dumps(record)

    def do_delete(self):
        with self._open() as db:
            try:
                del db[self._sid.encode()]
            except KeyError:
                pass

    def do_cleanup(self):
        now = time.time()
        with self._open() as db:
            for key in list(db.keys()):
                sid = key.decode("ascii", "replace")
                record = _read_record(db[key])
                if record is not None and not expired(record, now):
                    continue
                if not valid_sid(sid):
                    del db[key]
                    continue
                lock = FileLock(os.path.join(self._dbmfile + ".locks", sid))
                if lock.acquire(blocking=False):      # in use now: not expired after all
                    del db[key]
                    lock.release(remove=True)


# the files a dbm module may keep for a database (dumb, gnu, ndbm, bsd)
_DBM_SUFFIXES = ("", ".dat", ".dir", ".bak", ".db", ".pag")


class _DbmAccess:
    """`with` an exclusive lock on the dbm file, the dbm opened."""

    def __init__(self, path: str, dbmtype, wait: float) -> None:
        self.path, self.dbmtype = path, dbmtype
        self.lock = FileLock(path + ".lock", wait)

    def __enter__(self):
        self.lock.acquire()
        try:
            for suffix in _DBM_SUFFIXES:
                trusted(self.path + suffix)
            self.db = self.dbmtype.open(self.path, "c", 0o600)
        except BaseException:
            self.lock.release()
            raise
        return self.db

    def __exit__(self, *exc):
        try:
            self.db.close()
        finally:
            self.lock.release()


# files -------------------------------------------------------------------
class FileSession(BaseSession):
    """One file per session, under <directory>/<first two hex digits>/,
    written whole to a temporary file and renamed into place."""

    def __init__(self, req, sid=0, secret=None, timeout=0, lock=1,
                 fast_cleanup=-1, verify_cleanup=-1) -> None:
        opts = req.get_options()
        self._fast_cleanup = _flag(fast_cleanup if fast_cleanup != -1 else
                                   opts.get("mod_python.file_session.enable_fast_cleanup"), True)
        self._verify_cleanup = _flag(verify_cleanup if verify_cleanup != -1 else
                                     opts.get("mod_python.file_session.verify_session_timeout"), True)
        self._grace_period = int(opts.get("mod_python.file_session.cleanup_grace_period") or 240)
        self._cleanup_time_limit = int(opts.get("mod_python.file_session.cleanup_time_limit") or 2)
        self._sessdir = _option(opts, "mod_python.file_session.database_directory",
                                "mod_python.session.database_directory", "session_directory",
                                default=os.path.join(tempfile.gettempdir(), "mp_sess"))
        _private_dir(self._sessdir)
        super().__init__(req, sid, secret, timeout, lock)

    def _path(self, sid: str, suffix: str = "") -> str:
        return os.path.join(self._sessdir, sid[:2], sid + suffix)

    def _make_lock(self):
        _private_dir(os.path.dirname(self._path(self._sid)))
        return FileLock(self._path(self._sid, ".lock"), self._lock_wait)

    def do_load(self):
        try:
            with open(self._path(self._sid), "rb") as f:
                return _read_record(f.read())
        except FileNotFoundError:
            return None

    def do_save(self, record):
        path = self._path(self._sid)
        directory = _private_dir(os.path.dirname(path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(record, f)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    def do_delete(self):
        try:
            os.unlink(self._path(self._sid))
        except FileNotFoundError:
            pass

    def do_cleanup(self):
        """Delete expired session files, for at most cleanup_time_limit
        seconds (0: no limit), carrying on next time where this one left."""
        now = time.time()
        deadline = now + self._cleanup_time_limit if self._cleanup_time_limit > 0 else None
        state = os.path.join(self._sessdir, ".cleanup_next")
        subdirs = [f"{i:02x}" for i in range(256)]
        try:
            with open(state) as f:
                start = subdirs.index(f.read().strip())
        except (OSError, ValueError):
            start = 0
        for n in range(256):
            subdir = subdirs[(start + n) % 256]
            if deadline is not None and time.time() > deadline:
                with open(state, "w") as f:
                    f.write(subdir)
                return
            self._cleanup_dir(os.path.join(self._sessdir, subdir), now)
        try:
            os.unlink(state)
        except FileNotFoundError:
            pass

    def _cleanup_dir(self, directory: str, now: float) -> None:
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            return
        for name in names:
            if valid_sid(name) and self._is_stale(os.path.join(directory, name), now):
                lock = FileLock(os.path.join(directory, name + ".lock"))
                if lock.acquire(blocking=False):
                    try:
                        os.unlink(os.path.join(directory, name))
                    except FileNotFoundError:
                        pass
                    lock.release(remove=True)

    def _is_stale(self, path: str, now: float) -> bool:
        try:
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            return False
        if self._fast_cleanup and now - mtime <= self._timeout + self._grace_period:
            return False
        if self._fast_cleanup and not self._verify_cleanup:
            return True
        try:
            with open(path, "rb") as f:
                record = _read_record(f.read())
        except FileNotFoundError:
            return False
        return record is None or expired(record, now, self._grace_period)


# memory ------------------------------------------------------------------
_memory: dict = {}                    # sid -> record, this process only
_memory_guard = threading.Lock()


class MemorySession(BaseSession):
    """Sessions in a dict of this process: the fastest, but each child
    process of a multi-process MPM has its own."""

    def _make_lock(self):
        return KeyLock(self._sid, self._lock_wait)

    def do_load(self):
        with _memory_guard:
            record = _memory.get(self._sid)
        return None if record is None else pickle.loads(record)

    def do_save(self, record):
        data = pickle.dumps(record)        # a copy: later edits need save() too
        with _memory_guard:
            _memory[self._sid] = data

    def do_delete(self):
        with _memory_guard:
            _memory.pop(self._sid, None)

    def do_cleanup(self):
        now = time.time()
        with _memory_guard:
            stale = [sid for sid, data in _memory.items() if expired(pickle.loads(data), now)]
            for sid in stale:
                del _memory[sid]


# Redis -------------------------------------------------------------------
_redis_clients: dict = {}
_redis_guard = threading.Lock()


def _redis_client(url: str):
    """One client (a thread-safe connection pool) per URL and process;
    redis-py opens new connections in a child after fork."""
    with _redis_guard:
        client = _redis_clients.get(url)
        if client is None:
            import redis
            client = _redis_clients[url] = redis.Redis.from_url(url)
        return client


class RedisSession(BaseSession):
    """Sessions in Redis, shared by every server that uses the same one.

    PythonOption mod_python.redis_session.url (redis://127.0.0.1:6379/0),
    .key_prefix (mod_python.session:) and .lock_timeout (seconds a lock
    lasts if its holder dies, 60).  Redis expires records by itself, so
    cleanup() has nothing to do."""

    def __init__(self, req, sid=0, secret=None, timeout=0, lock=1) -> None:
        opts = req.get_options()
        self._client = _redis_client(opts.get("mod_python.redis_session.url")
                                     or "redis://127.0.0.1:6379/0")
        self._prefix = opts.get("mod_python.redis_session.key_prefix") or "mod_python.session:"
        self._lock_timeout = float(opts.get("mod_python.redis_session.lock_timeout") or 60)
        super().__init__(req, sid, secret, timeout, lock)

    def _key(self) -> str:
        return self._prefix + self._sid

    def _make_lock(self):
        return _RedisLock(self._client.lock(self._prefix + "lock:" + self._sid,
                                            timeout=self._lock_timeout, sleep=0.005,
                                            blocking_timeout=self._lock_wait,
                                            thread_local=False), self._lock_wait)

    def do_load(self):
        data = self._client.get(self._key())
        return None if data is None else _read_record(data)

    def do_save(self, record):
        self._client.set(self._key(), pickle.dumps(record), ex=max(1, int(record["_timeout"]) + 60))

    def do_delete(self):
        self._client.delete(self._key())

    def cleanup(self) -> None:
        pass


class _RedisLock:
    """redis-py's Lock with FileLock's interface."""

    def __init__(self, lock, wait: float) -> None:
        self._lock, self._wait = lock, wait

    def acquire(self, blocking: bool = True) -> bool:
        if self._lock.acquire(blocking=blocking):
            return True
        if blocking:
            raise LockTimeout(f"session lock {self._lock.name} not had within {self._wait:g} s")
        return False

    def release(self, remove: bool = False) -> None:
        import redis.exceptions
        try:
            self._lock.release()
        except redis.exceptions.LockError:
            pass                     # expired meanwhile (lock_timeout): nothing to release


# the factory ---------------------------------------------------------------
_TYPES = {"DbmSession": DbmSession, "FileSession": FileSession,
          "MemorySession": MemorySession, "RedisSession": RedisSession}


def Session(req, sid=0, secret=None, timeout=0, lock=1) -> BaseSession:
    """A session of the class PythonOption mod_python.session.session_type
    names; without it, MemorySession where the MPM runs one process of
    threads, else DbmSession."""
    opts = req.get_options()
    name = _option(opts, "mod_python.session.session_type", "session")
    if name:
        cls = _TYPES.get(name)
        if cls is None:
            raise ValueError(f"PythonOption mod_python.session.session_type: unknown session "
                             f"type {name!r} (one of {', '.join(_TYPES)})")
    else:
        cls = MemorySession if _single_threaded_process() else DbmSession
    return cls(req, sid=sid, secret=secret, timeout=timeout, lock=lock)


def _single_threaded_process() -> bool:
    """True when the MPM is threaded and runs a single process."""
    from modpy.constants import AP_MPMQ_IS_FORKED, AP_MPMQ_IS_THREADED, AP_MPMQ_MAX_DAEMONS
    from modpy.library import apache
    threaded = apache.mpm_query(AP_MPMQ_IS_THREADED)
    forked = apache.mpm_query(AP_MPMQ_IS_FORKED)
    return bool(threaded) and (not forked or apache.mpm_query(AP_MPMQ_MAX_DAEMONS) == 1)
