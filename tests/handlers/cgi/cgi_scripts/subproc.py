#!/usr/bin/env python3
import os
import subprocess

out = subprocess.run(["/bin/sh", "-c", 'echo "$REQUEST_METHOD $QUERY_STRING"; pwd'],
                     capture_output=True, text=True).stdout
print("Content-Type: text/plain")
print()
print(out, end="")
