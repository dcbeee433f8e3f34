"""No authentic body gets a 5xx, and every 202 is accounted for (issue 13, item 2).

Hypothesis mutates GitLab's documented payloads (tests/payloads) every way a sender could:
values of any JSON type at any place, keys removed, nesting thousands deep, other encodings,
a BOM, surrogate escapes, truncation, made-up kinds and reused Idempotency-Keys. 500 examples
of 20 concurrent deliveries each: 10,000 bodies through the app in process (ASGI, httpx).
Each answer is a 202, 400 or 409; each 202's delivery is recorded, either for a workflow
whose routing and handlers then run without error on it, or as ignored with its reason.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import shutil
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.events.routes import build_router
from bot.service.app import create_app
from bot.service.store import IGNORED, RECEIVED, Delivery, inbox
from bot.service.workflows import Workflows
from tests.conftest import KINDS as KINDS_BY_FILE
from tests.conftest import PAYLOADS

SECRET = "fuzz-secret"
DOCUMENTED = KINDS_BY_FILE
BASES = {name: json.loads((PAYLOADS / name).read_text()) for name in DOCUMENTED}
EXAMPLES, PER_EXAMPLE = int(os.environ.get("FUZZ_EXAMPLES", 500)), 20

ODD_VALUES = [
    None,
    True,
    0,
    -1,
    2**63,
    -(2**70),
    1.5,
    "",
    "x" * 300,
    "/psdm plan /etc/passwd",
    "/psdm apply\n/psdm risk high: @all",
    "\ud800",
    "Issue",
    "close",
    "project_create",
    [],
    [1, "a"],
    {},
    {"id": "7"},
    {"id": [1]},
]
KINDS = [*DOCUMENTED.values(), "Confidential Note Hook", "Push Hook", "", "Made Up Hook", "x" * 99]


def _odd(rng: random.Random, depth: int = 0) -> Any:
    """A value of any JSON type, often one a field would never hold."""
    pick = rng.random()
    if pick < 0.6 or depth > 2:
        return copy.deepcopy(rng.choice(ODD_VALUES))
    if pick < 0.8:
        return [_odd(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["id", "iid", "note", "x"]): _odd(rng, depth + 1) for _ in range(2)}


def _places(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `doc`."""
    found = [path] if path else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _places(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _places(value, (*path, index))
    return found


def mutated(name: str, seed: int, changes: int) -> dict[str, Any]:
    """The documented payload with `changes` values replaced or removed, chosen by `seed`."""
    rng = random.Random(seed)
    doc = json.loads(json.dumps(BASES[name]))
    for _ in range(changes):
        places = _places(doc)
        if not places:
            break
        *head, last = rng.choice(places)
        parent = doc
        for step in head:
            parent = parent[step]
        if isinstance(parent, dict) and rng.random() < 0.4:
            del parent[last]
        else:
            parent[last] = _odd(rng)
    return doc


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[dict[str, str], bytes]:
    name = draw(st.sampled_from(sorted(BASES)))
    doc = mutated(name, draw(st.integers(0, 2**32)), draw(st.sampled_from([0, 1, 1, 2, 3, 6])))
    kind = DOCUMENTED[name] if draw(st.integers(0, 3)) else draw(st.sampled_from(KINDS))
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    depth = draw(st.sampled_from([0] * 12 + [30, 63, 65, 1000, 5000]))
    if depth:
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        text = '{"deep": ' + opener * depth + "1" + closer * depth + ", " + text[1:]
    encoding = draw(
        st.sampled_from(["utf-8"] * 14 + ["utf-8-sig", "utf-16", "utf-32", "latin-1", "cut"])
    )
    if encoding == "cut":
        body = text.encode(errors="surrogatepass")[: draw(st.integers(0, len(text)))]
    elif encoding == "latin-1":
        body = text.replace('"', '"\u00e9', 1).encode("latin-1", errors="replace")
    else:
        body = text.encode(encoding, errors="surrogatepass")
    headers = {"X-Gitlab-Event": kind, "X-Gitlab-Token": SECRET}
    key = draw(st.sampled_from(["fresh"] * 6 + ["none", "shared"]))
    if key == "fresh":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    elif key == "shared":
        headers["Idempotency-Key"] = f"shared-{draw(st.integers(0, 3))}"
    return headers, body


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    # Memory-backed when the machine has it: the test is about answers, not about fsync.
    shm = Path("/dev/shm")
    where = shm / f"psdm-fuzz-{uuid.uuid4().hex}" if shm.is_dir() else tmp_path_factory.mktemp("f")
    settings_ = Settings(
        webhook_secrets=[SECRET],
        database_url=f"sqlite:///{where}/psdm.sqlite",
        gitlab_url="http://127.0.0.1:9",
        bot_username="psdm-bot",
        batch_interval_ms=0,
    )
    app = create_app(settings_, router=build_router())
    service = app.state.service
    loop = asyncio.new_event_loop()
    loop.run_until_complete(service.open_intake())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot")
    yield loop, client, service
    loop.run_until_complete(client.aclose())
    loop.run_until_complete(service.batcher.close())
    service.store.close()
    loop.close()
    shutil.rmtree(where, ignore_errors=True)


def test_ten_thousand_mutated_documented_payloads_get_no_5xx_and_every_202_is_accounted_for(
    intake,
):
    loop, client, service = intake
    statuses: Counter[int] = Counter()
    accepted: set[str] = set()

    async def send(batch):
        return await asyncio.gather(
            *(client.post("/webhook", content=body, headers=headers) for headers, body in batch)
        )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(deliveries(), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE))
    def run(batch):
        for response in loop.run_until_complete(send(batch)):
            statuses[response.status_code] += 1
            assert response.status_code in (202, 400, 409), response.text
            if response.status_code == 202 and not response.json()["duplicate"]:
                accepted.add(response.json()["delivery"])  # a duplicate's first copy is stored

    run()
    assert sum(statuses.values()) == EXAMPLES * PER_EXAMPLE  # 10,000 unless FUZZ_EXAMPLES says
    assert statuses[202] > statuses[400] > statuses[409] > 0, statuses

    workflows = Workflows(service.router, service.context, {})
    with service.store.engine.connect() as conn:
        rows = {row.key: row for row in conn.execute(inbox.select())}
    for key in accepted:
        row = rows[key]
        assert row.state in (RECEIVED, IGNORED)
        if row.state == IGNORED:
            assert row.reason, key
        else:
            delivery = Delivery(row.key, None, row.kind, row.partition, None, row.payload)
            workflows.decide(delivery)  # routing and every handler run without error
