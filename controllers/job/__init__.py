"""The job controller: a pure plan(...) -> list[Action], wired to informers elsewhere."""
