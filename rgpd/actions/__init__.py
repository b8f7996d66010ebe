"""The action plan: what the DPO decided to do about the compliance report, who, by when.

:mod:`.model` is the pure model and workflow, :mod:`.store` its storage edge,
:mod:`.service` the calls the CLI makes (sync with the compliance report,
reminders by e-mail). Keeping a plan with owners and dates is how a controller
shows it *implements* the measures Art. 24(1) asks for and can *demonstrate*
compliance (Art. 5(2), accountability).
"""
