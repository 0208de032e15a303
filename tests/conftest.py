"""The harness's own tests. `fixtures/` holds data and an example feed package whose suite is the
feed's own (tests/test_feed_plugin.py installs and runs it), not a test of the harness."""

collect_ignore_glob = ["fixtures/*"]
