"""Integration tests: real SQLite files, real subprocesses, a real HTTP gateway."""
