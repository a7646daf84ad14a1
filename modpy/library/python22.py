"""mod_python.python22: in mod_python 3.5, the shims that let it run on
Python 2.2.  Handlers still start with `from mod_python.python22 import *`
(mod_python's own test suite does); on Python 3 there is nothing to add."""
__all__: list[str] = []
