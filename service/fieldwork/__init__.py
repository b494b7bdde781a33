"""Fieldwork: sending invitations and reminders (the outbox), SMS, QR codes and response rates."""
