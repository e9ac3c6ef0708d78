"""Who is calling: session cookies for pages, bearer tokens (login JWT or personal API token) for code."""
