"""smsgate: a compliance-first SMS gateway for debt-collection agencies.

Nothing leaves unless it comes from an approved template, passes the
sensitive-term scan and the recipient may be contacted now. See README.md.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
