"""The review UI at ``/ui``: server-rendered pages over the same control layer as the JSON API.

Same process and same credentials as the API: a browser signs in with an API key once and
then holds a session cookie (``control.auth.browser_sessions``). Pages are Jinja2 templates;
charts are SVG drawn on the server (``ui.charts``); htmx (vendored in ``static/``) swaps
parts of a page. Nothing is fetched from anywhere else.
"""
