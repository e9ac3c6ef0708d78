"""Requirements and hand-offs: client requirements with their feedback promise, questions between departments."""
