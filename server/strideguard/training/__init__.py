"""Check-ins, runs, shoes and the training-load endpoint."""
