"""``manage.py etcdctl``: etcd's v3 command line client, run against the KubeViz store.

It mirrors etcdctl v3.4 (``ETCDCTL_API=3``): the same commands, flags, output
(``simple`` byte for byte, ``json`` field for field), error lines and exit
codes, so a learner can use what they know about etcd here, and the
differential test can run one script through both and compare.
"""
from .main import run

__all__ = ["run"]
