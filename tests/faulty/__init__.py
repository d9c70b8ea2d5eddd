"""Deliberately faulty implementations the conformance suite must catch."""
