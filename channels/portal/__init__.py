"""The partner portal as a channel: partners' comments in, the account manager's replies shown there."""
