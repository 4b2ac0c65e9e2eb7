"""The ``kannel`` carrier: our own Kannel (bearerbox + smsbox) in front of the SMSCs.

``adapter``    ``KannelCarrier``: one smsbox ``sendsms`` request per message, and
               ``create_kannel``
``callbacks``  delivery reports (``dlr-url``) and replies (``mo_url``) from smsbox

It is registered as ``kannel = "smsgate.carriers.kannel:create_kannel"`` in the
``smsgate.carriers`` entry-point group.
"""

from smsgate.carriers.kannel.adapter import KannelCarrier, create_kannel

__all__ = ["KannelCarrier", "create_kannel"]
