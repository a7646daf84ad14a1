"""What runs outside Apache: `python -m modpy` (cli), `serve`,
`module-config`, the Apache config writer they share, and the libpython
finder the build uses.  Imports nothing of cffi."""
