#!/usr/bin/env python3
print("Location: /static/target.txt")
print()
print("this body is dropped")
