"""Service levels: what is promised, the clocks that keep each promise, and the sweep that warns.

The pure part (no database, no clock of its own): ``targets`` names what is promised, ``policy_choice`` chooses the promise for a ticket, ``defaults`` holds
the built-in promises (and the ones later object types will use), ``span`` does the pause-aware
time arithmetic on a business calendar, ``clock`` derives every clock of a ticket from its event
log, and ``alerts`` says which warnings and breaches are owed and when. Around it: ``service``
keeps each ticket's clocks current in the transaction that changes the ticket, ``policies``
manages the policies, ``sweep`` sends the owed alerts and escalations on the skeleton every due
promise shares (``deadline_sweep``), and ``views`` is what the pages show. Reports and
``hub sla recompute`` can always rebuild the clocks from the events.
"""
