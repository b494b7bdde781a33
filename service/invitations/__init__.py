"""Single-use invitation tokens: issuing them, and what a token says when a respondent opens it."""
