#!/usr/bin/env python3
"""The vectors directory meson chose (../shared/vectors if present, else tests/vectors)."""
import os
here = os.path.dirname(os.path.abspath(__file__))
shared = os.path.join(here, "..", "..", "shared", "vectors")
print(shared if os.path.isdir(shared) else os.path.join(here, "..", "tests", "vectors"))
