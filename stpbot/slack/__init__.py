"""The Slack frontend: Bolt listeners and the servers that run them."""
