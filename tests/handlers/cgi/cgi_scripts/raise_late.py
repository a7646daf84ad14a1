#!/usr/bin/env python3
print("Content-Type: text/plain")
print()
print("partial body")
raise RuntimeError("boom after headers")
