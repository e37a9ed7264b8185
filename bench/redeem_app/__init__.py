"""Settings and URLs for bench/redeem.py's gunicorn: the site plus one trivial view."""
