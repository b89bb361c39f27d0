"""Recording fakes of the services the bot talks to, each on a loopback port."""
