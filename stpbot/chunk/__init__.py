"""Chunk: documents into quotable passages of whole sentences."""
