"""Application services: the use cases behind the HTTP routes, one module per area.

A service takes plain values, runs the core (render, scan, decide) and one
store transaction, appends the audit entries, and returns plain values or
raises ``smsgate.service.refusals.Refusal``; handlers only parse, call and render.
"""
