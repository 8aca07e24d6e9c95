"""What the domains' assets share: the monthly loop, the check reporting, the pictures in the metadata."""
