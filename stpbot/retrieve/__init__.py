"""Retrieve: score passages for a question and keep the best, diverse few."""
