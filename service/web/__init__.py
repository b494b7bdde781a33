"""Server-rendered web survey pages (Jinja2, no JavaScript needed): what respondents see on their phones."""
