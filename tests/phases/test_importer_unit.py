"""Autoreload's bookkeeping, in-process: a save that lands while a module
is being imported must never be mistaken for the version that ran."""
from __future__ import annotations

import os
import sys
import textwrap

from modpy.phases import importer


def write(path, code: str) -> None:
    with open(path, "w") as f:
        f.write(textwrap.dedent(code))


def test_a_save_during_the_first_import_is_loaded_on_the_next_request(tmp_path):
    """helper.py overwrites itself while it runs, as an editor saving at
    that moment would: the next load must run the new version."""
    helper = tmp_path / "mid_save_helper.py"
    write(tmp_path / "mid_save_app.py", """
        import mid_save_helper

        def value():
            return mid_save_helper.VALUE
    """)
    write(helper, f"""
        VALUE = 'old'
        with open({str(helper)!r}, 'w') as f:
            f.write("VALUE = 'new'\\n")
    """)
    sys.path.insert(0, str(tmp_path))
    try:
        ns = importer.Namespace("test-mid-save")
        app = str(tmp_path / "mid_save_app.py")
        assert ns.load_file(app, autoreload=True).value() == "old"
        assert ns.load_file(app, autoreload=True).value() == "new"
        # and then it settles: no reload without a change
        settled = ns.load_file(app, autoreload=True)
        assert ns.load_file(app, autoreload=True) is settled
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("mid_save_helper", None)


def test_files_untouched_since_long_before_the_load_are_not_reloaded(tmp_path):
    write(tmp_path / "quiet_app.py", "import quiet_helper\n")
    write(tmp_path / "quiet_helper.py", "X = 1\n")
    for name in ("quiet_app.py", "quiet_helper.py"):
        old = os.stat(tmp_path / name).st_mtime_ns - 10_000_000_000
        os.utime(tmp_path / name, ns=(old, old))
    sys.path.insert(0, str(tmp_path))
    try:
        ns = importer.Namespace("test-quiet")
        first = ns.load_file(str(tmp_path / "quiet_app.py"), autoreload=True)
        assert ns.load_file(str(tmp_path / "quiet_app.py"), autoreload=True) is first
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("quiet_helper", None)
