"""Runs every test of the emulator, tests/emulator/test_*.py (110 tests).

  python3 tests/emulator/test_chorus_emulator.py [-v] [-k PATTERN]

is the same as  python3 -m unittest discover -s tests/emulator  (what
tests/suites/15-emulator runs).  The tests are split along the emulator's
modules (scripts/chorus_emulator/): test_cli (command line, TLS, processes,
scripts/with-emulator), test_oauth (PISTE OAuth, gateway checks),
test_factures (deposits, flux states, search, lifecycle), test_invoices
(file and invoice checks), test_structures, test_faults, test_control; their
shared harness is emulator_harness.py.  This module holds no test itself, so
discovery does not run anything twice.
"""

import sys
import unittest
from pathlib import Path

if __name__ == "__main__":
    here = str(Path(__file__).resolve().parent)
    unittest.main(module=None, argv=[sys.argv[0], "discover", "-s", here, "-t", here, *sys.argv[1:]])
