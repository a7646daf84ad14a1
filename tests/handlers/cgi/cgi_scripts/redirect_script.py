#!/usr/bin/env python3
import sys

sys.stdin.read()   # mod_cgid resets a connection whose body the script left unread
print("Location: /cgi/env.py?redirected=yes")
print()
