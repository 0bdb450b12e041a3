"""Exchange rates: the settlement-currency value of one unit of another currency, by date,
and the month's rate a run converts revenue at (docs/rules.md §2 Currencies)."""
