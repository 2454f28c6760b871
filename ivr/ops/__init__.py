"""Running for years: the health figures (:mod:`.health`), the service units and log rotation
(:mod:`.services`), and the routing part's watchdog for systemd (:mod:`.watchdog`)."""
