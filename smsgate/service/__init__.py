"""Application services: the use cases behind the API, the UI, the CLI and the workers.

A service takes plain values, runs the core (render, scan, decide) and one
store transaction, appends the audit entries, and returns plain values or
raises ``smsgate.service.refusals.Refusal``; handlers only parse, call and
render. Nothing here imports aiohttp or a shell (``smsgate.api``,
``smsgate.web``): ``tests/unit/test_layers.py`` holds it to that.
"""
