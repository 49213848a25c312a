"""``GET /demo/callback``: where the demo wallet's authorization code lands.

Development profile only.  A real wallet receives the code on its own server;
for a person trying the gateway with curl there is none, so this page shows the
code and state and the command that exchanges the code for tokens."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

bp = Blueprint("demo", __name__)


@bp.get("/demo/callback")
def callback():
    redirect_uri = url_for("demo.callback", _external=True)
    token_url = request.host_url.rstrip("/") + "/oauth/token"
    return render_template("demo_callback.html", code=request.args.get("code"), state=request.args.get("state"),
                           error=request.args.get("error"), redirect_uri=redirect_uri, token_url=token_url)
