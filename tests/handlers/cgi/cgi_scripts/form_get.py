#!/usr/bin/env python3
import os
import urllib.parse

form = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""), keep_blank_values=True)
print("Content-Type: text/plain")
print()
for name in sorted(form):
    print(name, "=", form[name])
