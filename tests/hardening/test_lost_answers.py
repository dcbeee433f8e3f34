"""No duplicate when GitLab's answer is lost: a loopback proxy in front of the sandbox drops
15% of the answers to writes (REST POSTs and GraphQL mutations) after the sandbox committed
them. More than 200 writes go through it: an engine scaffold, RAID issues, replies (notes
keyed by a marker) and awards, each through the adapter calls the service uses. Every object
exists once and every marker once.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from bot.engine.apply import apply
from bot.engine.diff import diff
from bot.gitlab import connect
from bot.gitlab.connection import open_connection
from bot.gitlab.rest import award_once, note_once, post_once
from bot.playbook import load_playbook, render

DROP = 0.15
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class LossyProxy:
    upstream: str
    rng: random.Random = field(default_factory=lambda: random.Random(15))
    writes: int = 0
    dropped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lose(self, method: str, path: str, body: bytes) -> bool:
        write = method == "POST" and (not path.startswith("/api/graphql") or b"mutation" in body)
        with self.lock:
            if not write:
                return False
            self.writes += 1
            lost = self.rng.random() < DROP
            self.dropped += lost
            return lost


def serve(proxy: LossyProxy) -> ThreadingHTTPServer:
    session = requests.Session()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            answer = session.request(
                self.command, proxy.upstream + self.path, headers=headers, data=body
            )
            if proxy.lose(self.command, self.path, body):
                self.close_connection = True  # committed upstream; the answer never arrives
                return
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in HOP_BY_HOP | {"content-encoding"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_DELETE = relay

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def lossy(sandbox) -> Iterator[tuple[str, LossyProxy]]:
    proxy = LossyProxy(sandbox.url)
    server = serve(proxy)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", proxy
    finally:
        server.shutdown()
        server.server_close()


def test_lost_answers_to_200_writes_duplicate_nothing(sandbox, lossy):
    url, proxy = lossy
    gl = sandbox.gitlab()
    group = gl.groups.create({"name": "Acme", "path": "acme"})
    project = gl.projects.create({"name": "delivery", "path": "delivery", "namespace_id": group.id})

    blueprint = render(
        load_playbook("tool-adoption"), {"customer": "Acme", "start_date": "2026-01-06"}
    )
    for _ in range(3):  # an apply whose creates failed for good is completed by the next
        port = connect(url, sandbox.token, "acme/delivery")
        result = apply(diff(blueprint, port.read_live(blueprint)), port)
        if result.ok:
            break
    assert result.ok, result.failed[:3]

    rest = open_connection(url, sandbox.token).rest
    issues = f"/projects/{project.id}/issues"
    raid = []
    for n in range(20):  # `/psdm risk`: one RAID issue per command, keyed by its marker
        marker = f"<!-- psdm-bot raid=note-{n} -->"
        data = {"title": f"Risk {n}", "description": f"Vendor late {n}\n\n{marker}"}

        def find(marker: str = marker) -> dict | None:
            listed = rest.http_list(issues, query_data={"search": marker}, get_all=True)
            return next((i for i in listed if marker in (i.get("description") or "")), None)

        raid.append(post_once(rest, issues, data, find)["iid"])
    for n, iid in enumerate(raid * 2):  # a reply per command, and again on redelivery
        note_once(rest, f"{issues}/{iid}/notes", f"<!-- psdm-bot reply {n % 20} -->", "Noted.")
    for iid in raid:  # the command's comment gets its award once
        note = note_once(rest, f"{issues}/{iid}/notes", "<!-- a person -->", "/psdm risk")
        path = f"{issues}/{iid}/notes/{note['id']}/award_emoji"
        award_once(rest, path, "white_check_mark", "root")
        award_once(rest, path, "white_check_mark", "root")

    assert proxy.writes >= 200 and proxy.dropped >= 20, (proxy.writes, proxy.dropped)
    live = gl.projects.get(project.id)
    titles = Counter(i.title for i in live.issues.list(get_all=True, state="all"))
    assert max(titles.values()) == 1, [t for t, n in titles.items() if n > 1]
    assert sum(titles[f"Risk {n}"] for n in range(20)) == 20
    assert not diff(
        blueprint, connect(sandbox.url, sandbox.token, "acme/delivery").read_live(blueprint)
    ).pending
    epics = Counter(e.title for e in gl.groups.get(group.id).epics.list(get_all=True))
    assert max(epics.values()) == 1
    milestones = Counter(m.title for m in live.milestones.list(get_all=True))
    assert max(milestones.values()) == 1
    for iid in raid:
        notes = live.issues.get(iid).notes.list(get_all=True)
        bodies = Counter(n.body.rsplit("<!--", 1)[-1] for n in notes if not n.system)
        assert max(bodies.values()) == 1, bodies
        mine = next(n for n in notes if "a person" in n.body)
        awards = live.issues.get(iid).notes.get(mine.id).awardemojis.list(get_all=True)
        assert [a.name for a in awards] == ["white_check_mark"]
