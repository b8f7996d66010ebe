"""Citizens' requests (Arts. 12-22 GDPR): model, workflow, clock, rights; edges elsewhere."""
