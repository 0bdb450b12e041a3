"""What the payout run tells the layers above it, without knowing them (they connect here)."""

from django.dispatch import Signal

# Sent once a run's finalization has committed: its statements are issued. Argument: run_id.
run_finalized = Signal()
