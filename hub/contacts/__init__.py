"""Contacts: one person across their identities, profiles, what a contact page shows."""
