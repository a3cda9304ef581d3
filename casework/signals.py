"""Signals casework sends so that other apps can react without casework importing them.

``application_transitioned`` is sent inside the service's transaction, after the audit event:
receivers that write (a settlement deadline when protection is granted, a family-reunification
window) commit or roll back together with the transition.
"""

from django.dispatch import Signal

# kwargs: application, name, source, target, actor
application_transitioned = Signal()
