"""Signals casework sends so that other apps can react without casework importing them.

``application_transitioned`` is sent inside the service's transaction, after the audit event:
receivers that write (a settlement deadline when protection is granted, a family-reunification
window) commit or roll back together with the transition.
"""

from django.dispatch import Signal

# kwargs: application (locked, with its person), name, source, target, actor, and decision:
# the Decision the transition recorded, or None (receivers use it instead of reading it again).
application_transitioned = Signal()
