"""Fixtures shared by every suite."""
from __future__ import annotations

import pytest


@pytest.fixture
def store(transactional_db):
    """A fresh store on the test database (real commits, so other threads see them)."""
    from cluster.store import Store

    return Store()


@pytest.fixture(scope="session")
def live_cluster(tmp_path_factory):
    """One KubeViz server, control plane running, for the session's end-to-end tests."""
    from tests import live

    cluster = live.start(tmp_path_factory.mktemp("live"))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def live_api_server(tmp_path_factory):
    """A KubeViz server with no control plane: objects change only when a test changes them."""
    from tests import live

    cluster = live.start(tmp_path_factory.mktemp("live-api"), "--no-control-plane")
    yield cluster
    cluster.stop()


@pytest.fixture
def api(transactional_db):
    """An API server on the test database, bootstrapped like a new cluster."""
    from cluster.api.bootstrap import ensure_bootstrap
    from cluster.api.server import ApiServer
    from cluster.store import Store, WatchHub

    store = Store()
    hub = WatchHub(store)
    store.on_commit = hub.notify
    server = ApiServer(store, lambda: hub)
    ensure_bootstrap(server)
    yield server
    hub.stop()


@pytest.fixture
def admin_client(api):
    """An in-process client acting as a member of system:masters."""
    from cluster.api.identity import AUTHENTICATED, MASTERS, UserInfo
    from cluster.client import ApiClient
    from cluster.client.local import LocalTransport

    return ApiClient(LocalTransport(api, UserInfo("admin", (MASTERS, AUTHENTICATED))))


@pytest.fixture(scope="module")
def etcd_server(tmp_path_factory):
    """A real etcd (``/usr/bin/etcd``) on free loopback ports, one per test module."""
    from tests.etcd_server import EtcdServer, available

    if not available():
        pytest.skip("real etcd not installed (/usr/bin/etcd, /usr/bin/etcdctl): apt-get install etcd-server etcd-client")
    server = EtcdServer.start(tmp_path_factory.mktemp("etcd"))
    yield server
    server.stop()
