"""How a payout run computes: the SQL path in PostgreSQL (`sql`, `scratch`, `locks`,
`catalog`, `chunks`, `merge`, `finish`) and the pure reference in Python (`reference`).

The SQL path is set-based, in parallel idempotent steps:

1. Listener chunks (`chunks.chunk_compute`): each aggregates its listener range of the month in
   the database, once: per (listener, ISRC, territory, tier) for the money, per (listener,
   UTC day) and (device, listener) for screening. It stores exact contributions net × c / T
   per (ISRC, territory, tier) in net revenue (each side's pool is net × its share, so one
   pass serves both sides), distinct listeners per ISRC and artist, the screening
   rules its listeners broke and the devices they used, in the run's scratch tables.
   Chunks never share a listener, so their parts add up.
2. Screening finishes (`payouts.screening.chunk_findings`) with the shared-device rule across chunks.
   Chunks holding listeners an admin rejected are computed again without them.
3. ISRC buckets (`merge.bucket_merge`): each adds up the chunk parts of its ISRCs, takes each
   side's share of them, spreads the unallocated pools, applies the run's catalog snapshot
   (splits and suspense for recordings; links to works, their writers' shares and mechanical
   suspense for publishing, by both methods), writes the allocation and publishing lines and
   track results, and exact sums per payee and artist.
4. `finish.finish` adds up the buckets, rounds each side once per payee with the
   largest-remainder method (with its suspense and retained), and writes payee, suspense and
   artist results and the comparisons (recording pro-rata and progressive, the publishing
   side's other method).

Nothing of the month is loaded into Python: workers send statements and read one row per
artist (for the progressive model's maths).

Scratch data lives in unlogged tables of its own per run (`scratch.Scratch`), partitioned by ISRC
bucket, created with the chunks and dropped by the finish: a merge reads only its
partition, and nothing is deleted row by row. Unlogged tables come back empty after a
crash; a run that finds its scratch emptied fails instead of going on with holes
(`scratch.scratch_require`).

Exactness. Pools are exact decimals (net × a side's share). A listener's per-stream rate
net / T is computed to 40 decimal places (numeric division rounds correctly at the result's
scale); a line's amount is rate × c, summed exactly; sums are rounded to 30 places before
the cent is decided. An amount with at most 30 decimal places (a whole cent, an exact
half cent: the ties rounding meets in practice) is therefore exact, and its floor and
remainder rank are those of rational arithmetic; other amounts would have to agree with a
neighbour to 30 decimal places of a currency unit for their order to differ. Tests check
this path against the pure maths (`payouts.maths`, exact fractions) on the same data,
and `verify_run` against an independent statement.
"""
