#!/usr/bin/env python3
import os

print("Content-Type: text/plain")
print()
print("index", os.environ["SCRIPT_NAME"], os.environ["REQUEST_URI"])
