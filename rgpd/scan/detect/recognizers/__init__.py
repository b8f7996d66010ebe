"""Recognizers of the detection core: French identifiers (``fr``) and Art. 9/10 lexicons (``special``)."""
