"""Unit tests of the contact policy (a package so the tests can share ``policy_support``)."""
