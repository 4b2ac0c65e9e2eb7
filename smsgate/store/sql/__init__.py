"""The store's repositories, written once over a small dialect (``dialect``).

Each module here is one concern's repository (messages, attempts, audit …)
in SQL that both databases run; ``unit.SqlUnitOfWork`` composes them on one
``Session``. What differs per database lives in its package: the
``Dialect`` instance, the connection and session handling, migrations, and
SQLite's group commit (``smsgate.store.sqlite``, ``smsgate.store.postgres``).
"""
