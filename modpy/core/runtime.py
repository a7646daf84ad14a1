"""Process-wide state of the embedded runtime, set by the shim's calls."""
from __future__ import annotations

module_index = -1      # our slot in Apache's config vectors (modpy_boot)
boots = 0              # times Apache loaded the shim in this interpreter (each config read)
main_server = None     # server_rec * of the main server (post_config)
child_pool = None      # apr_pool_t * of this child (child_init); None in the parent
python_filters = False  # a Python filter is declared or registered: keep every Request
optimize = -1          # PythonOptimize On: 1; the level handler modules are compiled at (-1: Python's own)
