"""modpy against Debian's mod_python 3.5, side by side (see pair.py)."""
