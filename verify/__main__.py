"""``python -m verify``."""

import sys

from verify.cli import main
from verify.cli.common import defer_torch

if __name__ == "__main__":
    defer_torch()
    sys.exit(main())
