"""Pure annotation package: text in, plain dataclasses out.

Nothing here imports from ``api``, ``service`` or ``db``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
