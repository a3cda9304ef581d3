"""Signals of the return records, so that other apps react without casework importing them.

``return_ended`` is sent inside the transition's transaction when a return ends (travelled,
forced return carried out, whereabouts unknown): reception ends the person's open placement
and integration lapses their temporary work permit, committed or rolled back with the
transition.
"""

from django.dispatch import Signal

# kwargs: record (the Return, locked), application, person, ending (the state reached),
# ended_on (a date), whereabouts_unknown (bool), actor.
return_ended = Signal()
