"""The live dashboard: websocket consumers that stream the cluster as HTML fragments."""
