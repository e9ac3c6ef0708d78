"""The phone channel: call logs (CDRs) from any PBX, imported from files or posted live."""
