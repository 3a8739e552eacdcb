# The whole set-up is two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test venv clean

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py runcluster 127.0.0.1:8000

# The store suites run a second time on a throwaway PostgreSQL when it is installed.
PG_SUITES := tests/cluster/test_store.py tests/cluster/test_watch.py tests/cluster/test_store_properties.py \
	tests/cluster/test_snapshot.py tests/controllers/test_leader_election.py \
	tests/cluster/test_bench_cluster.py::test_bench_cluster_scale_out_runs_the_control_plane_as_processes
# The channel layer again on a throwaway Redis (channels-redis) when redis-server is installed.
REDIS_SUITES := tests/kubeviz/test_channel_layer.py

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)
	scripts/with-postgres $(PY) -m pytest -p no:cacheprovider $(PG_SUITES)
	scripts/with-redis $(PY) -m pytest -p no:cacheprovider $(REDIS_SUITES)

clean:
	rm -rf $(VENV) var
