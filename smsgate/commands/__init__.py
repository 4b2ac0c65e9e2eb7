"""Subcommands of the ``smsgate`` command line, one module each."""
