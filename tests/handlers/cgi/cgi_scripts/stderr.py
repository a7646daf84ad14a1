#!/usr/bin/env python3
import sys

print("a line for the error log from stderr.py", file=sys.stderr)
sys.stderr.write("no newline at the end")
print("Content-Type: text/plain")
print()
print("body after stderr")
