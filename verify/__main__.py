"""``python -m verify``."""

from verify.cli import console_main
from verify.cli.common import defer_torch

if __name__ == "__main__":
    defer_torch()
    console_main()
