"""What payments tell the layers above them, without knowing them (they connect here)."""

from django.dispatch import Signal

# Sent after commit. batch_sent: a batch was approved, so its files go to the bank (batch_id).
# payments_returned: payments came back failed or returned, their amounts back in the
# balances (payment_ids).
batch_sent = Signal()
payments_returned = Signal()
