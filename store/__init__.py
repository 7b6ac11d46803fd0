"""ringlog.store: the on-disk format (see FORMAT.md beside this file)."""
