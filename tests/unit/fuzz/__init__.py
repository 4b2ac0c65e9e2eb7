"""Property-based fuzzing of the pure core (a package so the tests can share ``support``)."""
