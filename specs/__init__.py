"""Spec bundles: data only. Each folder is one feed (see specs/README.md)."""
