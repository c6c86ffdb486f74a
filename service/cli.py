"""The console script of an install made before the move to ``service/ops/`` names
``service.cli:main``, and ``python -m service.cli`` still works; the command line itself
is :mod:`service.ops.cli`."""

from service.ops.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
