"""modpy: mod_python rebuilt -- Apache httpd handlers, filters and
configuration written in Python, through a thin C shim and cffi.

Importing this package is cheap and works outside Apache; the modules that
talk to Apache (request, table, apache, ...) need the embedded library and
only import inside httpd.
"""
__version__ = "0.1.0"
