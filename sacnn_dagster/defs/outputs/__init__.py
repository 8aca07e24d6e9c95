"""The outputs domain: the monthly estimates, the GVIO grid and its district totals, and their checks."""
