"""Quotas: per-segment completion targets per wave, and the respondents screened out by full cells."""
