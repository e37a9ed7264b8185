"""Work-desk screens of points: earning rules, the expiry policy."""
