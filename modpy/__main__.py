"""`python -m modpy`: see modpy/cli.py."""
import sys

from modpy.tools.cli import main

sys.exit(main())
