"""python3 -m chorus_emulator: the same as scripts/chorus-emulator."""

import sys

from .cli import main

sys.exit(main())
