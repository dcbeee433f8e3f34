"""The families around the bot that a bot's users touch (issue 24), end to end over loopback:
uploads and avatars, topics, subscriptions, promotion, transfers, forks, stars, user
administration, custom attributes, badges, events. Each test checks GitLab's documented
behaviour, not only that a route answers."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest


def png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    client = httpx.Client(
        base_url=f"{sandbox.url}/api/v4", headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    )
    yield client
    client.close()


@pytest.fixture
def acme(api: httpx.Client) -> dict[str, Any]:
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
    project = api.post("/projects", json={"name": "App", "namespace_id": group["id"]}).json()
    return {"group": group["id"], "project": project["id"]}


def test_an_avatar_sent_as_a_multipart_part_is_served_back_and_can_be_removed(sandbox, api):
    image = png()
    created = api.post(
        "/users",
        data={"email": "a@example.com", "username": "ann", "name": "Ann", "password": "x" * 12},
        files={"avatar": ("me.png", image, "image/png")},
    )
    assert created.status_code == 201, created.text
    url = created.json()["avatar_url"]
    assert url.startswith(f"{sandbox.url}/uploads/-/system/user/avatar/")
    served = httpx.get(url)
    assert (served.status_code, served.content, served.headers["content-type"]) == (
        200,
        image,
        "image/png",
    )
    user = created.json()["id"]
    assert (
        api.put(f"/users/{user}", json={"avatar": ""})
        .json()["avatar_url"]
        .startswith("https://www.gravatar.com/")
    )
    assert httpx.get(url).status_code == 404


def test_an_avatar_must_be_a_small_image(api, acme):
    project = acme["project"]
    text = api.put(f"/projects/{project}", files={"avatar": ("notes.txt", b"hi", "text/plain")})
    assert text.status_code == 400
    assert "file format is not supported" in text.json()["message"]["avatar"][0]
    big = api.put(f"/projects/{project}", files={"avatar": ("big.png", b"0" * 300_000)})
    assert big.json() == {"message": {"avatar": ["is too big (should be at most 200 KiB)"]}}
    assert api.get(f"/projects/{project}").json()["avatar_url"] is None


def test_a_markdown_upload_answers_its_markdown_and_is_served(sandbox, api, acme):
    answer = api.post(
        f"/projects/{acme['project']}/uploads", files={"file": ("notes.txt", b"testing")}
    ).json()
    assert answer["alt"] == "notes.txt" and answer["url"].startswith("/uploads/")
    assert answer["markdown"] == f"[notes.txt]({answer['url']})"
    served = f"{sandbox.url}{answer['full_path']}"
    assert httpx.get(served, headers={"PRIVATE-TOKEN": sandbox.token}).content == b"testing"
    assert httpx.get(served).status_code == 404  # a private project's uploads need a token
    image = api.post(f"/projects/{acme['project']}/uploads", files={"file": ("shot.png", png())})
    assert image.json()["markdown"].startswith("![shot](/uploads/")


def test_topics_are_ordered_by_projects_and_merging_moves_them(api, acme):
    api.post("/projects", json={"name": "Web", "namespace_id": acme["group"], "topics": ["ui"]})
    api.put(f"/projects/{acme['project']}", json={"topics": ["ui", "api"]})
    listed = api.get("/topics").json()
    assert [(t["name"], t["total_projects_count"]) for t in listed] == [("ui", 2), ("api", 1)]
    by_name = {t["name"]: t["id"] for t in listed}
    merged = api.post(
        "/topics/merge", json={"source_topic_id": by_name["api"], "target_topic_id": by_name["ui"]}
    )
    assert merged.status_code == 201 and merged.json()["total_projects_count"] == 2
    assert api.get(f"/projects/{acme['project']}").json()["topics"] == ["ui"]
    assert api.get(f"/topics/{by_name['api']}").status_code == 404
    taken = api.post("/topics", json={"name": "UI", "title": "again"})
    assert taken.status_code == 400


def test_label_subscription_answers_304_when_nothing_changes(api, acme):
    labels = f"/projects/{acme['project']}/labels"
    api.post(labels, json={"name": "bug", "color": "#ff0000"})
    first = api.post(f"{labels}/bug/subscribe")
    assert (first.status_code, first.json()["subscribed"]) == (201, True)
    assert api.post(f"{labels}/bug/subscribe").status_code == 304
    assert api.get(f"{labels}/bug").json()["subscribed"] is True
    assert api.post(f"{labels}/bug/unsubscribe").json()["subscribed"] is False
    assert api.post(f"{labels}/bug/unsubscribe").status_code == 304


def test_promoting_a_milestone_merges_its_namesakes_in_the_groups_projects(api, acme):
    web = api.post("/projects", json={"name": "Web", "namespace_id": acme["group"]}).json()["id"]
    app = acme["project"]
    mine = api.post(f"/projects/{app}/milestones", json={"title": "Sprint 1"}).json()
    theirs = api.post(f"/projects/{web}/milestones", json={"title": "Sprint 1"}).json()
    issue = api.post(f"/projects/{web}/issues", json={"title": "t", "milestone_id": theirs["id"]})
    answer = api.post(f"/projects/{app}/milestones/{mine['id']}/promote")
    assert (answer.status_code, answer.json()) == (200, 200)
    (promoted,) = api.get(f"/groups/{acme['group']}/milestones").json()
    assert promoted["title"] == "Sprint 1"
    assert api.get(f"/projects/{web}/milestones").json() == []
    moved = api.get(f"/projects/{web}/issues/{issue.json()['iid']}").json()
    assert moved["milestone"]["id"] == promoted["id"]
    solo = api.post("/projects", json={"name": "Solo"}).json()["id"]
    lone = api.post(f"/projects/{solo}/milestones", json={"title": "M"}).json()["id"]
    refused = api.post(f"/projects/{solo}/milestones/{lone}/promote")
    assert refused.json() == {"message": "Project does not belong to a group."}


def test_transfers_move_projects_and_groups_and_refuse_clashes(api, acme):
    other = api.post("/groups", json={"name": "Other", "path": "other"}).json()["id"]
    moved = api.put(f"/projects/{acme['project']}/transfer", json={"namespace": "other"})
    assert moved.json()["path_with_namespace"] == "other/app"
    api.post("/projects", json={"name": "App", "namespace_id": acme["group"]})
    clash = api.put(f"/projects/{moved.json()['id']}/transfer", json={"namespace": acme["group"]})
    assert clash.status_code == 400
    nested = api.post(f"/groups/{other}/transfer", json={"group_id": acme["group"]})
    assert (nested.status_code, nested.json()["full_path"]) == (201, "acme/other")
    assert api.get("/projects/acme%2Fother%2Fapp").status_code == 200
    loop = api.post(f"/groups/{acme['group']}/transfer", json={"group_id": other})
    assert loop.status_code == 400
    top = api.post(f"/groups/{other}/transfer")
    assert top.json()["full_path"] == "other"


def test_a_fork_names_its_source_and_is_listed_and_counted(api, acme):
    fork = api.post(f"/projects/{acme['project']}/fork", json={"namespace": "root"}).json()
    assert fork["forked_from_project"]["id"] == acme["project"]
    assert fork["path_with_namespace"] == "root/app"
    assert [f["id"] for f in api.get(f"/projects/{acme['project']}/forks").json()] == [fork["id"]]
    assert api.get(f"/projects/{acme['project']}").json()["forks_count"] == 1
    assert "forked_from_project" not in api.get(f"/projects/{acme['project']}").json()


def test_stars_count_once_per_user(api, acme):
    star = f"/projects/{acme['project']}/star"
    assert api.post(star).json()["star_count"] == 1
    assert api.post(star).status_code == 304
    assert api.get(f"/projects/{acme['project']}/starrers").json()[0]["user"]["username"] == "root"
    assert api.post(f"/projects/{acme['project']}/unstar").json()["star_count"] == 0


def test_block_ban_and_their_answers_as_gitlab_gives_them(sandbox, api):
    seeded = sandbox.seed({"users": [{"username": "bo"}]})
    user, token = seeded["users"]["bo"]["id"], seeded["users"]["bo"]["token"]
    assert api.post(f"/users/{user}/block").json() is True
    assert api.post(f"/users/{user}/block").json() is None
    assert api.post(f"/users/{user}/unblock").json() is True
    assert api.post(f"/users/{user}/unblock").json() is False
    assert api.post(f"/users/{user}/ban").json() is True
    assert api.get(f"/users/{user}").json()["state"] == "banned"
    as_bo = httpx.get(f"{sandbox.url}/api/v4/user", headers={"PRIVATE-TOKEN": token})
    assert as_bo.status_code == 403
    assert api.post(f"/users/{user}/unban").json() is True
    assert httpx.get(f"{sandbox.url}/api/v4/user", headers={"PRIVATE-TOKEN": token}).is_success


def test_custom_attributes_are_for_administrators_and_filter_lists(sandbox, api, acme):
    seeded = sandbox.seed({"users": [{"username": "cy"}]})
    user = seeded["users"]["cy"]["id"]
    assert api.put(f"/users/{user}/custom_attributes/team", json={"value": "blue"}).is_success
    assert [
        u["id"] for u in api.get("/users", params={"custom_attributes[team]": "blue"}).json()
    ] == [user]
    assert api.get("/users", params={"custom_attributes[team]": "red"}).json() == []
    cy = {"PRIVATE-TOKEN": seeded["users"]["cy"]["token"]}
    denied = httpx.get(f"{sandbox.url}/api/v4/users/{user}/custom_attributes", headers=cy)
    assert denied.status_code == 403
    assert api.delete(f"/users/{user}/custom_attributes/team").status_code == 204
    assert api.get(f"/users/{user}/custom_attributes/team").status_code == 404


def test_events_follow_the_records_and_hide_what_the_viewer_cannot_see(sandbox, api, acme):
    issue = api.post(f"/projects/{acme['project']}/issues", json={"title": "Plan"}).json()
    api.post(f"/projects/{acme['project']}/issues/{issue['iid']}/notes", json={"body": "ok"})
    api.put(f"/projects/{acme['project']}/issues/{issue['iid']}", json={"state_event": "close"})
    events = api.get(f"/projects/{acme['project']}/events").json()
    assert [e["action_name"] for e in events] == ["closed", "commented on", "opened", "created"]
    assert events[1]["note"]["body"] == "ok"
    only = api.get("/events", params={"target_type": "note"}).json()
    assert [e["target_type"] for e in only] == ["Note"]
    assert api.get("/events", params={"action": "nope"}).status_code == 400
    seeded = sandbox.seed({"users": [{"username": "dee"}]})
    outsider = {"PRIVATE-TOKEN": seeded["users"]["dee"]["token"]}
    root_events = httpx.get(f"{sandbox.url}/api/v4/users/1/events", headers=outsider).json()
    assert root_events == []


def test_keys_emails_and_status_of_the_current_user(sandbox, api):
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsTJ2vHl8oJwLT3l0mYEGFJZ8yHnMXW0z4BHKxOcTgn me"
    made = api.post("/user/keys", json={"title": "laptop", "key": key})
    assert made.status_code == 201
    again = api.post("/user/keys", json={"title": "again", "key": key})
    taken = ["has already been taken"]  # GL:doc/api/user_keys.md
    assert (again.status_code, again.json()) == (
        400,
        {"message": {"fingerprint": taken, "key": taken}},
    )
    public = httpx.get(f"{sandbox.url}/api/v4/users/1/keys")  # no token: the page says so
    assert [k["title"] for k in public.json()] == ["laptop"]
    assert httpx.get(f"{sandbox.url}/api/v4/users/1/emails").status_code == 401
    assert api.post("/user/keys", json={"title": "bad", "key": "not a key"}).status_code == 400
    assert [k["title"] for k in api.get("/user/keys").json()] == ["laptop"]
    assert api.post("/user/emails", json={"email": "admin@example.com"}).status_code == 400
    assert api.post("/user/emails", json={"email": "second@example.com"}).status_code == 201
    status = api.put("/user/status", json={"message": "away"}).json()
    assert (status["message"], status["emoji"]) == ("away", "speech_balloon")
    assert api.get("/user/status").json()["message"] == "away"


def test_memberships_and_the_namespace_check(sandbox, api, acme):
    seeded = sandbox.seed(
        {"users": [{"username": "eve"}], "groups": [{"path": "ops", "members": {"eve": 30}}]}
    )
    user = seeded["users"]["eve"]["id"]
    rows = api.get(f"/users/{user}/memberships").json()
    assert rows == [
        {
            "source_id": seeded["groups"]["ops"],
            "source_name": "ops",
            "source_type": "Namespace",
            "access_level": 30,
        }
    ]
    assert api.get(f"/users/{user}/memberships", params={"type": "Project"}).json() == []
    assert api.get(f"/users/{user}/memberships", params={"type": "Nope"}).status_code == 400
    taken = api.get("/namespaces/acme/exists").json()
    assert taken == {"exists": True, "suggests": ["acme1"]}
    assert api.get("/namespaces/free/exists").json() == {"exists": False, "suggests": []}


def test_badges_render_their_placeholders_and_projects_see_their_groups_badges(api, acme):
    link = "https://ci.example.com/%{project_path}/%{default_branch}"
    api.post(f"/groups/{acme['group']}/badges", json={"link_url": link, "image_url": "https://i"})
    mine = api.post(
        f"/projects/{acme['project']}/badges", json={"link_url": link, "image_url": "https://j"}
    ).json()
    assert mine["rendered_link_url"] == "https://ci.example.com/acme/app/main"
    listed = api.get(f"/projects/{acme['project']}/badges").json()
    assert [b["kind"] for b in listed] == ["group", "project"]


def test_group_sharing_shows_in_the_details_and_can_be_undone(api, acme):
    other = api.post("/groups", json={"name": "Other", "path": "other"}).json()["id"]
    shared = api.post(
        f"/groups/{acme['group']}/share", json={"group_id": other, "group_access": 30}
    )
    assert shared.json()["shared_with_groups"][0]["group_id"] == other
    assert api.delete(f"/groups/{acme['group']}/share/{other}").status_code == 204
    assert api.get(f"/groups/{acme['group']}").json()["shared_with_groups"] == []


def test_a_single_discussion_note_can_be_read(api, acme):
    issue = api.post(f"/projects/{acme['project']}/issues", json={"title": "t"}).json()
    base = f"/projects/{acme['project']}/issues/{issue['iid']}/discussions"
    thread = api.post(base, json={"body": "start"}).json()
    note = thread["notes"][0]
    assert api.get(f"{base}/{thread['id']}/notes/{note['id']}").json()["body"] == "start"
    assert api.get(f"{base}/{thread['id']}/notes/999999").status_code == 404


def test_hostile_multipart_bodies_get_a_clear_answer(sandbox, api, acme):
    url = f"{sandbox.url}/api/v4/projects/{acme['project']}/uploads"
    headers = {"PRIVATE-TOKEN": sandbox.token}
    no_boundary = httpx.post(
        url, headers=headers | {"Content-Type": "multipart/form-data"}, content=b"junk"
    )
    assert no_boundary.status_code == 400
    odd_charset = (
        b'--b\r\nContent-Disposition: form-data; name="x"\r\n'
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nvalue\r\n--b--\r\n"
    )
    answer = httpx.post(
        url,
        headers=headers | {"Content-Type": "multipart/form-data; boundary=b"},
        content=odd_charset,
    )
    assert answer.json() == {"error": "file is missing"}
    page = api.post(url, files={"file": ("x.html", b"<script>alert(1)</script>", "text/html")})
    served = httpx.get(f"{sandbox.url}{page.json()['full_path']}", headers=headers)
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["x-content-type-options"] == "nosniff"


def test_uploads_are_listed_read_and_deleted_through_the_api(sandbox, api, acme):
    base = f"/projects/{acme['project']}/uploads"
    first = api.post(base, files={"file": ("a.txt", b"first")}).json()
    second = api.post(base, files={"file": ("b.txt", b"second!")}).json()
    listed = api.get(base).json()
    assert [(u["id"], u["filename"], u["size"]) for u in listed] == [
        (second["id"], "b.txt", 7),
        (first["id"], "a.txt", 5),
    ]
    assert listed[0]["uploaded_by"]["username"] == "root"
    assert api.get(f"{base}/{first['id']}").content == b"first"
    secret = second["url"].split("/")[2]
    assert api.get(f"{base}/{secret}/b.txt").content == b"second!"
    assert api.delete(f"{base}/{first['id']}").status_code == 204
    assert api.get(f"{base}/{first['id']}").status_code == 404
    assert httpx.get(f"{sandbox.url}{first['full_path']}", headers=api.headers).status_code == 404


def test_application_settings_keep_their_types_and_are_for_administrators(sandbox, api):
    assert api.get("/application/settings").json()["deletion_adjourned_period"] == 7
    changed = api.put(
        "/application/settings",
        data={"deletion_adjourned_period": "1", "signup_enabled": "false", "no_such": "x"},
    ).json()
    assert (changed["deletion_adjourned_period"], changed["signup_enabled"]) == (1, False)
    assert "no_such" not in changed
    seeded = sandbox.seed({"users": [{"username": "fay"}]})
    fay = {"PRIVATE-TOKEN": seeded["users"]["fay"]["token"]}
    assert httpx.get(f"{sandbox.url}/api/v4/application/settings", headers=fay).status_code == 403
    sandbox.reset()
    assert api.get("/application/settings").json()["deletion_adjourned_period"] == 7


def test_broadcast_markdown_search_and_license(sandbox, api, acme):
    made = api.post("/broadcast_messages", json={"message": "Maintenance", "color": "#444444"})
    assert (made.status_code, made.json()["active"]) == (201, True)
    assert httpx.get(f"{sandbox.url}/api/v4/broadcast_messages").json()[0]["color"] == "#444444"
    html = api.post("/markdown", json={"text": "**hi** <b>x</b>", "project": "acme/app"}).json()
    assert html == {"html": "<p><strong>hi</strong> &lt;b&gt;x&lt;/b&gt;</p>\n"}
    assert api.post("/markdown", json={"text": "x", "project": "nope/none"}).status_code == 404
    found = api.get("/search", params={"scope": "users", "search": "administrator"}).json()
    assert [u["id"] for u in found] == [1]
    assert api.get("/search", params={"scope": "blobs", "search": "x"}).status_code == 400
    refused = api.post("/license", json={"license": "dummy"})
    assert refused.json() == {"message": "The license key is invalid."}
