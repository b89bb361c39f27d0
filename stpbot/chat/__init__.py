"""Chat: the conversation core every chat frontend (Slack, Teams) shares."""
