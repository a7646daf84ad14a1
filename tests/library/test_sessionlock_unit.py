"""modpy.sessionlock and the pure parts of modpy.Session, in-process:
locks between threads and between processes, id rules, expiry."""
import multiprocessing
import os
import threading
import time

import pytest

from modpy.library.Session import _flag, expired, new_sid, valid_sid
from modpy.library.sessionlock import FileLock, KeyLock, LockTimeout


def _bump(path, counter, rounds):
    """Read-modify-write a counter file under the lock, slowly enough that
    an unlocked race would lose updates."""
    for _ in range(rounds):
        lock = FileLock(path)
        lock.acquire()
        with open(counter) as f:
            n = int(f.read() or 0)
        time.sleep(0.0005)
        with open(counter, "w") as f:
            f.write(str(n + 1))
        lock.release()


def test_file_lock_excludes_threads_of_one_process(tmp_path):
    counter = tmp_path / "n"
    counter.write_text("0")
    threads = [threading.Thread(target=_bump, args=(str(tmp_path / "l"), str(counter), 25))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.read_text() == "200"


def test_file_lock_excludes_processes_and_their_threads(tmp_path):
    counter = tmp_path / "n"
    counter.write_text("0")
    ctx = multiprocessing.get_context("fork")

    def child():
        ts = [threading.Thread(target=_bump, args=(str(tmp_path / "l"), str(counter), 10))
              for _ in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    procs = [ctx.Process(target=child) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert counter.read_text() == "120"


def test_non_blocking_and_removal(tmp_path):
    path = str(tmp_path / "x.lock")
    a, b = FileLock(path), FileLock(path)
    assert a.acquire() and a.held
    assert not b.acquire(blocking=False) and not b.held
    a.release(remove=True)
    assert not os.path.exists(path)
    assert b.acquire(blocking=False)
    b.release()
    assert os.path.exists(path)
    with pytest.raises(RuntimeError):
        b.acquire()
        b.acquire()


def test_waiter_follows_a_removed_lock_file(tmp_path):
    """A waiter that wakes up on a file its holder removed must not count
    itself as holding the lock while a third party holds the new file."""
    path = str(tmp_path / "x.lock")
    first = FileLock(path)
    first.acquire()
    got = []
    waiter = FileLock(path)
    t = threading.Thread(target=lambda: got.append(waiter.acquire()))
    t.start()
    time.sleep(0.05)
    first.release(remove=True)
    t.join(5)
    assert got == [True]
    assert os.stat(path).st_ino == os.fstat(waiter._fd).st_ino
    third = FileLock(path)
    assert not third.acquire(blocking=False)
    waiter.release()


def test_key_lock():
    a, b, other = KeyLock("k"), KeyLock("k"), KeyLock("j")
    assert a.acquire()
    assert not b.acquire(blocking=False)
    assert other.acquire(blocking=False)
    released = []
    t = threading.Thread(target=lambda: (b.acquire(), released.append(1)))
    t.start()
    time.sleep(0.02)
    assert released == []
    a.release()
    t.join(5)
    assert released == [1]
    b.release()
    other.release()
    assert KeyLock._locks == {}


def test_session_ids():
    sids = {new_sid() for _ in range(1000)}
    assert len(sids) == 1000 and all(valid_sid(s) and len(s) == 32 for s in sids)
    for bad in ["", "../../etc/passwd", "A" * 32, "0" * 31, "0" * 33, "0" * 31 + "\n",
                "0" * 30 + "/.", None, 12, "g" * 32]:
        assert not valid_sid(bad)


def test_expiry_and_flags():
    record = {"_accessed": 1000.0, "_timeout": 60}
    assert not expired(record, 1060.0) and expired(record, 1060.5)
    assert not expired(record, 1100.0, grace=40) and expired(record, 1101.0, grace=40)
    assert _flag("On", False) and _flag("1", False) and not _flag("off", True)
    assert _flag(None, True) and _flag(-1, True) and not _flag(0, True)


def test_untrusted_stores_are_refused(tmp_path):
    from modpy.library.Session import trusted
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    trusted(str(mine))
    trusted(str(tmp_path / "missing"))                 # made later, by us
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(PermissionError):
        trusted(str(shared))
    link = tmp_path / "link"
    link.symlink_to(mine)
    with pytest.raises(PermissionError):
        trusted(str(link))
    planted = tmp_path / "x.dat"
    planted.write_bytes(b"")
    planted.chmod(0o666)
    with pytest.raises(PermissionError):
        trusted(str(planted))


def test_lock_file_is_never_a_symlink(tmp_path):
    target = tmp_path / "victim"
    target.write_text("keep")
    (tmp_path / "x.lock").symlink_to(target)
    with pytest.raises(OSError):
        FileLock(str(tmp_path / "x.lock")).acquire()


def test_a_wait_is_bounded(tmp_path):
    path = str(tmp_path / "lock")
    holder, waiter = FileLock(path), FileLock(path, timeout=0.3)
    assert holder.acquire()
    start = time.monotonic()
    with pytest.raises(LockTimeout, match="not had within 0.3 s"):
        waiter.acquire()
    assert 0.3 <= time.monotonic() - start < 2 and not waiter.held
    holder.release()
    assert waiter.acquire() and waiter.held
    waiter.release()
    key_holder, key_waiter = KeyLock("k"), KeyLock("k", timeout=0.2)
    assert key_holder.acquire()
    with pytest.raises(LockTimeout):
        key_waiter.acquire()
    key_holder.release()
    assert key_waiter.acquire()
    key_waiter.release()


def test_a_lock_file_of_another_user_is_refused(tmp_path):
    """(as root, as modpy's machines and CI run the tests)"""
    path = tmp_path / "lock"
    path.touch(mode=0o666)
    os.chown(path, 65534, 65534)               # nobody's: they could hold it forever
    with pytest.raises(PermissionError, match="belongs to uid 65534"):
        FileLock(str(path), timeout=1).acquire()
