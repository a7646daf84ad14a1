"""`python -m modpy`: see modpy/cli.py."""
import sys

from .cli import main

sys.exit(main())
