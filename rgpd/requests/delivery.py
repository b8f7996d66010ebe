"""One-time download of an access package on ``rgpd serve``: ``/o/<org>/download/<token>``.

The link (signed, expiring, its secret stored hashed) opens a page with one
button; only the POST of that button hands the archive over and burns the link.
Mail scanners and link previews fetch links with GET: they must not consume a
one-time link. The archive is encrypted (AES-256); its password reaches the
person by another channel, so the link alone discloses nothing.

Register it on the intake application::

    from rgpd.requests import delivery
    app.register_blueprint(delivery.create_blueprint(ws))
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from markupsafe import escape

from rgpd.errors import UnknownOrganisation
from rgpd.requests import fulfil, service
from rgpd.workspace import Workspace

_TEXT = {
    "fr": {
        "title": "Téléchargement de vos données",
        "intro": "Ce lien permet de télécharger une seule fois l'archive chiffrée de vos données. "
        "Le mot de passe vous a été communiqué séparément.",
        "button": "Télécharger l'archive",
        "refused": "Ce lien n'est plus valable",
        "refused_text": "Le lien a déjà été utilisé, a expiré ou n'est pas valide. "
        "Contactez le délégué à la protection des données pour en recevoir un nouveau.",
    },
    "en": {
        "title": "Download your data",
        "intro": "This link downloads the encrypted archive of your data, once. "
        "The password was given to you separately.",
        "button": "Download the archive",
        "refused": "This link is no longer valid",
        "refused_text": "The link was already used, has expired or is not valid. "
        "Contact the data protection officer to receive a new one.",
    },
}


def _lang() -> str:
    lang = request.args.get("lang") or request.accept_languages.best_match(["fr", "en"]) or "fr"
    return lang if lang in _TEXT else "fr"


def _page(lang: str, title: str, body: str, status: int = 200) -> Response:
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1>{body}"
        "</main></body></html>"
    )
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Robots-Tag"] = "noindex"
    return resp


def create_blueprint(ws: Workspace) -> Blueprint:
    """The download routes for every organisation of the workspace."""
    bp = Blueprint("rgpd_delivery", __name__)

    @bp.route("/o/<org>/download/<token>", methods=["GET", "POST"])
    def download(org: str, token: str) -> Response:
        lang = _lang()
        t = _TEXT[lang]
        try:
            ws.org_id(org)
        except UnknownOrganisation:
            return _page(lang, t["refused"], f"<p>{escape(t['refused_text'])}</p>", 404)
        if request.method == "GET":
            body = (
                f"<p>{escape(t['intro'])}</p>"
                f'<form method="post"><button type="submit">{escape(t["button"])}</button></form>'
            )
            return _page(lang, t["title"], body)
        try:
            name, data = fulfil.take_download(ws, org, token)
        except service.LinkRefused:
            return _page(lang, t["refused"], f"<p>{escape(t['refused_text'])}</p>", 410)
        resp = Response(data, mimetype="application/zip")
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        resp.headers["Cache-Control"] = "no-store"
        return resp

    return bp
