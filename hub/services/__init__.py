"""Use-cases: each module owns one thing the hub does."""
