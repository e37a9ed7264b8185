from meijia.settings import *  # noqa: F403

ROOT_URLCONF = "redeem_app.urls"

# Quiet: the bench prints its own table.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
