"""Report rendering."""
