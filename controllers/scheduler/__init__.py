"""kube-scheduler in miniature: NodeInfo snapshot, filter/score plugins, the scheduling queue."""
