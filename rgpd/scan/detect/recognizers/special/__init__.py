"""Art. 9(1) special categories and Art. 10 offences, from French lexicons and context."""
