"""The playbook library as staff see it: every playbook with its version, where it came from and
whether it passed the checks (a playbook with problems cannot be started). Agents read it too:
it is their handbook."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from web.auth.guards import staff
from web.pages.context import render


@get("/playbooks", guards=[staff], name="playbooks")
async def playbooks_page(request: Request) -> Template:
    library = request.app.state.hub.playbooks
    return render(
        request,
        "playbooks.html",
        playbooks=sorted(library.listing(), key=lambda row: (row.scenario, row.playbook_id)),
    )
