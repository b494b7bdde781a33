"""Persistence: tables, engine set-up, migrations check and the SQL the domain services need."""
