"""The scanner wing: sources, extraction, detection, findings."""
