"""The partner portal's records and rules: what suppliers and partners share with the company."""
