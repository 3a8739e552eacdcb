"""Settings as a small package: ``base`` holds what every deployment shares,
``dev`` and ``test`` adjust it. Environment variables carry what changes per
deployment (``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``)."""
