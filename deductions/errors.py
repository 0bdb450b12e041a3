"""How the deductions' inputs refuse what they cannot record."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Rejected(Exception):
    """Why nothing was recorded: an HTTP status and the body that says what to fix."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)
