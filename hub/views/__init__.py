"""Read models: queries shaped for screens and the API, separate from the write use-cases."""
