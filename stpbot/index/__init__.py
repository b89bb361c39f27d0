"""Index: passages embedded, stored and published as crash-safe versions."""
