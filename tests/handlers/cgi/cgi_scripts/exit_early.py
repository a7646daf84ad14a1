#!/usr/bin/env python3
import sys

sys.exit("leaving before any header")
