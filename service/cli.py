"""The console script of an install made before the move to ``service/ops/`` names
``service.cli:main``; the command line itself is :mod:`service.ops.cli`."""

from service.ops.cli import main

__all__ = ["main"]
