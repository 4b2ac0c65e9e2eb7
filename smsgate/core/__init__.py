"""The pure core: templates, scanner, policy and SMS encoding.

Nothing in this package performs I/O or imports a web framework, database
driver, HTTP client or carrier SDK; a unit test enforces that, so every rule
here can be tested with plain values.
"""
