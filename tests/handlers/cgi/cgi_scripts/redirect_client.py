#!/usr/bin/env python3
print("Location: http://example.com/elsewhere?x=1")
print("X-Dropped: yes")
print()
print("this body is dropped")
