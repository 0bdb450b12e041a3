"""A month's payout run, step by step (docs/rules.md §4): queued → screening → review →
computing → computed → finalized, or failed with a reason.

- `state`: the run's row lock, progress milestones and which engine computes;
- `enqueue`: the next step, sent by its task's stable name after commit;
- `start`, `screen`, `compute`, `finalize`, `failure`: the steps and what an operator
  does to a run; `holds`: decisions on fraud holds;
- `recovery`: work of runs that stopped moving, sent again; `driver`: a run taken as far
  as it goes in one process, by the same steps the workers run;
- `selectors`: reads of a run; `window`: when a month may be paid; `waiting`: whether a
  run waits for a worker nobody started; `tasks`: the Celery tasks (thin).

Every step locks the run's row before it moves the state and checks the state it expects,
so a redelivered or duplicated task finds nothing left to do.
"""
