"""Staff pages under /admin/kube/ that edit desired state through the API server.

Not Django's model admin: the cluster's objects live in the store, reached only
through the API server. Every read and save runs as the logged-in user, so RBAC,
validation, admission and CDC apply exactly as for kubectl.
"""
