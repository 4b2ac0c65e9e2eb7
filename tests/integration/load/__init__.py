"""Load tests: a real gateway process under a steady, mixed, open-loop load (and ``make soak``)."""
