"""Configuration, pure: the directive grammar, the table of Python*
directives, the per-directory and per-server config and their merge, the
phase table, and user-declared directives.  No Apache, no cffi: unit-tested
in-process.  The bottom layer: it imports nothing else of modpy but
modpy.constants."""
