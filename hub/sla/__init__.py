"""SLA policies and clocks as pure functions: no database, no clock of their own.

``targets`` names what is promised, ``policy_choice`` chooses the promise for a ticket, ``defaults`` holds
the built-in promises (and the ones later object types will use), ``span`` does the pause-aware
time arithmetic on a business calendar, ``clock`` derives every clock of a ticket from its event
log, and ``alerts`` says which warnings and breaches are owed and when. The services persist what
these compute; reports and ``hub sla recompute`` can always rebuild it from the events.
"""
