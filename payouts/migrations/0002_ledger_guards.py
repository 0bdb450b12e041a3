"""The ledger is append-only and balanced, and the database itself enforces it.

PostgreSQL: updates and deletes of ledger rows are refused (TRUNCATE, used only by test
teardown and the demo reset, is not a row change), and a deferred constraint trigger checks
at commit that every ledger transaction's postings sum to zero. It runs once per ledger
transaction per database transaction (a transaction-local flag), not once per posting,
because a run's settlement has one posting per payee. The scratch tables of the chunked
computation are unlogged: they are rebuilt from the events whenever needed.

SQLite, the demo default, refuses updates only (Django's test flush deletes rows there);
the balance is checked by the code that writes the ledger.
"""

from django.db import migrations

PG_FORWARD = [
    """
CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON payouts_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION kalipxo_refuse_row_change()""",
    """
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON payouts_ledgerposting
    FOR EACH ROW EXECUTE FUNCTION kalipxo_refuse_row_change()""",
    """
CREATE FUNCTION kalipxo_ledger_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag text := 'kalipxo.ledger_checked_' || NEW.transaction_id;
    total numeric;
BEGIN
    IF coalesce(current_setting(flag, true), '') = 'y' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config(flag, 'y', true);
    SELECT sum(amount_minor) INTO total FROM payouts_ledgerposting WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: postings sum to %', NEW.transaction_id, total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$""",
    """
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON payouts_ledgerposting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kalipxo_ledger_balanced()""",
    "ALTER TABLE payouts_chunkpart SET UNLOGGED",
    "ALTER TABLE payouts_chunklisteners SET UNLOGGED",
]
PG_REVERSE = [
    "ALTER TABLE payouts_chunklisteners SET LOGGED",
    "ALTER TABLE payouts_chunkpart SET LOGGED",
    "DROP TRIGGER IF EXISTS ledger_posting_balanced ON payouts_ledgerposting",
    "DROP FUNCTION IF EXISTS kalipxo_ledger_balanced()",
    "DROP TRIGGER IF EXISTS ledger_posting_append_only ON payouts_ledgerposting",
    "DROP TRIGGER IF EXISTS ledger_transaction_append_only ON payouts_ledgertransaction",
]
SQLITE_FORWARD = [
    """
CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE ON payouts_ledgertransaction
BEGIN SELECT RAISE(ABORT, 'payouts_ledgertransaction rows are append-only'); END""",
    """
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE ON payouts_ledgerposting
BEGIN SELECT RAISE(ABORT, 'payouts_ledgerposting rows are append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_posting_append_only",
    "DROP TRIGGER IF EXISTS ledger_transaction_append_only",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in PG_FORWARD if postgres else SQLITE_FORWARD:
        schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):  # type: ignore[no-untyped-def]
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in PG_REVERSE if postgres else SQLITE_REVERSE:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    # kalipxo_refuse_row_change() comes from the stream events' append-only migration.
    dependencies = [("payouts", "0001_initial"), ("streams", "0002_stream_events_append_only")]
    operations = [migrations.RunPython(forward, reverse)]
