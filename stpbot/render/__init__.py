"""Pure renderers: answers in, text / JSON / Block Kit / cards out. No network here."""
