"""Accounts: users, teams, organisations, sign-in codes, the staff directory."""
