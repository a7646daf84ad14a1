#!/usr/bin/env python3
import sys

print("Content-Type: text/plain")
print()
print("before exit")
sys.exit(3)
print("never printed")
