"""Invitation mails: composing them (multipart text + HTML, zh/en, from the definition's templates) and SMTP."""
