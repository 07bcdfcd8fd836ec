# shebao — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint bench clean

install: $(STAMP)

# Reinstall only when the project's dependencies change (idempotent).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	@ls /usr/share/fonts/truetype/wqy/wqy-*.ttc /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf >/dev/null 2>&1 \
		|| [ -n "$$SHEBAO_LETTER_FONT" ] \
		|| echo "note: no Chinese font for the pension letter's PDF: apt-get install fonts-wqy-microhei (or set SHEBAO_LETTER_FONT)"
	$(BIN)/shebao run

# The whole suite: SQLite always; PostgreSQL as well when SHEBAO_TEST_POSTGRES_URL is set (.ci/run sets it).
test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests bench

test-fast: install
	$(BIN)/python -m pytest -q -m "not browser"

# Benchmarks on SQLite, and on PostgreSQL too: a scratch server is started when none is named.
bench: install
	SHEBAO_BENCH_POSTGRES_URL="$${SHEBAO_BENCH_POSTGRES_URL:-$$(PGDATABASE_SHEBAO=shebao_bench .ci/start-postgres 2>/dev/null | tail -1)}" \
		$(BIN)/python -m bench

clean:
	rm -rf $(VENV) shebao.db shebao.db-wal shebao.db-shm .pytest_cache
