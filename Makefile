# The README's two commands are `make demo` and `make test`; the rest are for developers.
.PHONY: demo test lint format lock bench bench-quick migrate

demo:  ## install everything and run the service with demo data (SQLite, tasks in-process)
	scripts/demo.sh

test:  ## install what tests need and run lint plus the whole suite
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy .

format:
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

lock:  ## re-pin requirements/*.txt from requirements/*.in
	cd requirements && uv pip compile base.in -o base.txt --python-version 3.11 && \
		uv pip compile dev.in -o dev.txt --python-version 3.11

bench:  ## every benchmark at full size, then the summary; writes docs/benchmarks.md (needs PostgreSQL, Redis)
	scripts/bootstrap.sh dev
	.venv/bin/python -m bench

bench-quick:  ## the same at a small size in about 3 minutes; writes bench/results/quick.md
	scripts/bootstrap.sh dev
	.venv/bin/python -m bench --quick
