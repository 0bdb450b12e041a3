"""What every part of the demo shares: its error and its seeded random generators."""

import random


class DemoDataError(Exception):
    """The demo data cannot be loaded as asked; the message says why and what to do."""


def demo_rng(seed: int, *parts: object) -> random.Random:
    # String seeds are hashed with SHA-512 by `random`, independent of PYTHONHASHSEED.
    return random.Random(":".join(["kalipxo-demo", str(seed), *map(str, parts)]))  # noqa: S311
