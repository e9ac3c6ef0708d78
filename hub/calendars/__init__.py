"""Business calendars: when people work, and how long a promise lasts in working time.

The maths is pure, no database: the SLA engine, the reports and the CLI all ask the same
functions. ``model`` holds the value types, ``arithmetic`` adds and measures business time,
``durations`` parses ``3bd``-style specs, ``china`` brings in the statutory holidays and
``builtin`` assembles named calendars from a base plus an administrator's days. Around it,
``service`` stores the calendars an administrator edits and ``working_hours`` says when a person
works (routing skips who is off).
"""
