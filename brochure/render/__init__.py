"""Publication → HTML: the Jinja2 environment (templates.py) and the documents every edition is laid out from (html.py)."""
