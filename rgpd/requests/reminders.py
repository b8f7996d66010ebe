"""The weekly list of requests to answer, and the reminder mail to the DPO.

One call for ``rgpd requests due [--notify]`` (a cron job on Monday morning):
the list, whether something is already late (Art. 12(3): one month, extended
by two), and, when a mailer is given, the reminder sent to the organisation's
DPO. The mail itself is written by :func:`rgpd.requests.letters.due_reminder`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rgpd.requests import letters, service
from rgpd.requests.mailer import Mailer
from rgpd.workspace import Workspace


@dataclass
class DueList:
    today: date
    until: date  # the Sunday of this week
    records: list[service.RequestRecord]
    reminded: str | None = None  # the address the reminder went to, if one was sent

    @property
    def overdue(self) -> bool:
        """Is an answer already late (its deadline passed)?"""
        return any(
            r.deadline.days_left is not None and r.deadline.days_left < 0 for r in self.records
        )


def due_this_week(
    ws: Workspace,
    org: str,
    *,
    mailer: Mailer | None = None,
    lang: str = "fr",
    today: date | None = None,
) -> DueList:
    """Open requests to answer by Sunday (overdue first); with ``mailer``, remind the DPO.

    No reminder goes out when nothing is due or the organisation has no DPO
    e-mail address (``reminded`` stays ``None``).
    """
    today = today or service.local_today(ws)
    out = DueList(today, service.end_of_week(today), service.due_this_week(ws, org, today=today))
    if mailer is not None:
        mail = letters.due_reminder(
            service.organisation(ws, org), out.records, today=today, lang=lang
        )
        if mail is not None:
            mailer.send(mail)
            out.reminded = mail.to
    return out
