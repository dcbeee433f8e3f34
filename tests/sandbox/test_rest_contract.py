"""The REST contract real clients rely on: parameters, paths, pagination, errors, formats."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.fixture
def api(sandbox):
    client = httpx.Client(
        base_url=f"{sandbox.url}/api/v4", headers={"PRIVATE-TOKEN": sandbox.token}, timeout=30
    )
    yield client
    client.close()


@pytest.fixture
def project_id(api) -> int:
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
    return api.post("/projects", data={"name": "App", "namespace_id": group["id"]}).json()["id"]


def test_attributes_come_from_query_string_form_or_json(api, project_id):
    by_query = api.post(f"/projects/{project_id}/labels?name=q&color=%23010101")
    by_form = api.post(f"/projects/{project_id}/labels", data={"name": "f", "color": "#020202"})
    by_json = api.post(f"/projects/{project_id}/labels", json={"name": "j", "color": "#030303"})
    assert [r.status_code for r in (by_query, by_form, by_json)] == [201, 201, 201]
    assert [r.json()["color"] for r in (by_query, by_form, by_json)] == [
        "#010101",
        "#020202",
        "#030303",
    ]
    issue = api.post(
        f"/projects/{project_id}/issues", data={"title": "t", "labels[]": ["q", "f"]}
    ).json()
    assert issue["labels"] == ["q", "f"]


def test_url_encoded_paths_name_projects_groups_and_labels(api, project_id):
    api.post(f"/projects/{project_id}/labels", json={"name": "needs review", "color": "#111111"})
    assert api.get("/projects/acme%2Fapp").json()["id"] == project_id
    assert api.get("/groups/acme").json()["full_path"] == "acme"
    label = api.get("/projects/acme%2Fapp/labels/needs%20review").json()
    assert label["name"] == "needs review"


def test_offset_pagination_headers_and_link_use_the_request_host(sandbox, api, project_id):
    for number in range(45):
        api.post(f"/projects/{project_id}/labels", json={"name": f"l{number}", "color": "#222222"})
    response = api.get(f"/projects/{project_id}/labels", params={"per_page": 20, "page": 2})
    headers = response.headers
    assert len(response.json()) == 20
    assert (headers["x-page"], headers["x-per-page"], headers["x-next-page"]) == ("2", "20", "3")
    assert (headers["x-prev-page"], headers["x-total"], headers["x-total-pages"]) == (
        "1",
        "45",
        "3",
    )
    links = dict((rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', headers["link"]))
    assert set(links) == {"prev", "next", "first", "last"}
    assert links["next"].startswith(f"{sandbox.url}/api/v4/projects/{project_id}/labels?")
    assert "page=3" in links["next"] and "per_page=20" in links["next"]
    last = api.get(f"/projects/{project_id}/labels", params={"per_page": 20, "page": 3})
    assert last.headers["x-next-page"] == "" and len(last.json()) == 5
    capped = api.get(f"/projects/{project_id}/labels", params={"per_page": 500})
    assert capped.headers["x-per-page"] == "100"
    assert api.get(f"/projects/{project_id}/labels").headers["x-per-page"] == "20"


def test_errors_use_gitlab_envelopes_and_status_codes(sandbox, api, project_id):
    assert api.get("/projects/999").json() == {"message": "404 Project Not Found"}
    assert api.get("/no/such/route").json() == {"error": "404 Not Found"}
    missing = api.post(f"/projects/{project_id}/labels", json={})
    assert missing.status_code == 400
    assert missing.json() == {"error": "name is missing, color is missing"}
    anonymous = httpx.get(f"{sandbox.url}/api/v4/user")
    assert (anonymous.status_code, anonymous.json()) == (401, {"message": "401 Unauthorized"})
    bad_color = api.post(f"/projects/{project_id}/labels", json={"name": "x", "color": "nope"})
    assert bad_color.status_code == 400 and "color" in bad_color.json()["message"]


def test_ids_iids_urls_and_timestamps_look_like_gitlab(sandbox, api, project_id):
    first = api.post(f"/projects/{project_id}/issues", json={"title": "a"}).json()
    other = api.post("/projects", json={"name": "Other"}).json()
    second = api.post(f"/projects/{other['id']}/issues", json={"title": "b"}).json()
    assert (first["iid"], second["iid"]) == (1, 1)
    assert second["id"] > first["id"]
    assert first["web_url"] == f"{sandbox.url}/acme/app/-/issues/1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["created_at"])
    assert first["references"]["full"] == "acme/app#1"


def test_an_unknown_label_on_an_issue_becomes_a_project_label(api, project_id):
    api.post(f"/projects/{project_id}/issues", json={"title": "t", "labels": "brand-new"})
    names = [label["name"] for label in api.get(f"/projects/{project_id}/labels").json()]
    assert names == ["brand-new"]


def test_add_and_remove_labels_and_scoped_labels_are_exclusive_on_premium(api, project_id):
    issue = api.post(
        f"/projects/{project_id}/issues", json={"title": "t", "labels": "status::todo,keep"}
    ).json()
    url = f"/projects/{project_id}/issues/{issue['iid']}"
    updated = api.put(url, json={"add_labels": "status::doing", "remove_labels": "keep"}).json()
    assert updated["labels"] == ["status::doing"]


def test_issue_list_filters(api, project_id):
    milestone = api.post(f"/projects/{project_id}/milestones", json={"title": "M1"}).json()
    api.post(
        f"/projects/{project_id}/issues",
        json={"title": "alpha", "labels": "x", "milestone_id": milestone["id"]},
    )
    api.post(f"/projects/{project_id}/issues", json={"title": "beta", "confidential": True})
    closed = api.post(f"/projects/{project_id}/issues", json={"title": "gamma"}).json()
    api.put(f"/projects/{project_id}/issues/{closed['iid']}", json={"state_event": "close"})

    def titles(**params) -> list[str]:
        rows = api.get(f"/projects/{project_id}/issues", params=params).json()
        return sorted(row["title"] for row in rows)

    assert titles(labels="x") == ["alpha"]
    assert titles(milestone="M1") == ["alpha"]
    assert titles(state="closed") == ["gamma"]
    assert titles(confidential="true") == ["beta"]
    assert titles(search="amm") == ["gamma"]
    assert titles(**{"iids[]": ["1", "3"]}) == ["alpha", "gamma"]
    assert titles(labels="None", state="opened") == ["beta"]


def test_version_metadata_and_license_follow_the_tier(sandbox, api):
    assert api.get("/version").json()["version"].endswith("-ee")
    assert api.get("/metadata").json()["enterprise"] is True
    assert api.get("/license").json()["plan"] == "premium"
    sandbox.reset("free")
    assert api.get("/metadata").json()["enterprise"] is False
    assert api.get("/license").status_code == 404


def test_epics_and_group_hooks_are_premium_only(sandbox_free):
    api = httpx.Client(
        base_url=f"{sandbox_free.url}/api/v4",
        headers={"PRIVATE-TOKEN": sandbox_free.token},
        timeout=30,
    )
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()
    assert api.post(f"/groups/{group['id']}/epics", json={"title": "E"}).status_code == 403
    assert api.get(f"/groups/{group['id']}/hooks").status_code == 404
    graphql = api.post(
        f"{sandbox_free.url}/api/graphql",
        json={"query": '{ namespace(fullPath: "acme") { workItemTypes { nodes { name } } } }'},
    ).json()
    assert {"name": "Epic"} in graphql["data"]["namespace"]["workItemTypes"]["nodes"]
    api.close()


def test_discussions_thread_replies_under_one_id(api, project_id):
    issue = api.post(f"/projects/{project_id}/issues", json={"title": "t"}).json()
    base = f"/projects/{project_id}/issues/{issue['iid']}"
    api.post(f"{base}/notes", json={"body": "standalone"})
    thread = api.post(f"{base}/discussions", json={"body": "question"}).json()
    reply = api.post(f"{base}/discussions/{thread['id']}/notes", json={"body": "answer"}).json()
    assert reply["type"] == "DiscussionNote"
    listed = api.get(f"{base}/discussions").json()
    assert [d["individual_note"] for d in listed] == [True, False]
    assert [n["body"] for n in listed[1]["notes"]] == ["question", "answer"]
    assert api.get(f"{base}/notes").headers["x-total"] == "3"


def test_statistics_subscriptions_and_time_stats(api, project_id):
    issue = api.post(f"/projects/{project_id}/issues", json={"title": "t"}).json()
    api.post(f"/projects/{project_id}/issues", json={"title": "u"})
    api.put(f"/projects/{project_id}/issues/{issue['iid']}", json={"state_event": "close"})
    counts = api.get(f"/projects/{project_id}/issues_statistics").json()["statistics"]["counts"]
    assert counts == {"all": 2, "closed": 1, "opened": 1}
    base = f"/projects/{project_id}/issues/{issue['iid']}"
    assert api.post(f"{base}/subscribe").json()["subscribed"] is True
    assert api.post(f"{base}/subscribe").status_code == 304
    assert api.get(f"{base}/time_stats").json()["total_time_spent"] == 0


def test_keyset_pagination_follows_only_the_next_link(sandbox, api):
    for number in range(7):
        api.post("/projects", json={"name": f"p{number}"})
    gl = sandbox.gitlab(pagination="keyset", order_by="id", per_page=3)
    names = [p.name for p in gl.projects.list(iterator=True)]
    assert sorted(names) == [f"p{n}" for n in range(7)]
    first = api.get("/projects", params={"pagination": "keyset", "per_page": 3})
    assert "x-total" not in first.headers and 'rel="next"' in first.headers["link"]
    refused = api.get("/groups", params={"pagination": "keyset"})
    assert refused.status_code == 405


OWNED = ("groups", "projects", "labels", "milestones", "work_items", "notes", "hooks")
HOOK_URL = "http://127.0.0.1:9/hook"


def _owned_objects(sandbox) -> dict[str, int]:
    return {kind: sandbox.stats()["objects"][kind] for kind in OWNED}


def _furnish(api, kind: str, owner: int) -> None:
    """A label, a milestone and a hook on a project or group; an issue with a note, or an epic."""
    created = [
        api.post(f"/{kind}/{owner}/labels", json={"name": f"{kind}-{owner}", "color": "#010101"}),
        api.post(f"/{kind}/{owner}/milestones", json={"title": f"{kind}-{owner}"}),
        api.post(f"/{kind}/{owner}/hooks", json={"url": HOOK_URL}),
    ]
    if kind == "projects":
        issue = api.post(f"/projects/{owner}/issues", json={"title": "work"})
        note = api.post(f"/projects/{owner}/issues/{issue.json()['iid']}/notes", json={"body": "n"})
        created += [issue, note]
    else:
        created.append(api.post(f"/groups/{owner}/epics", json={"title": "epic"}))
    assert [r.status_code for r in created] == [201] * len(created)


def test_a_deleted_project_takes_its_issues_notes_labels_milestones_and_hooks(sandbox, api):
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()["id"]
    _furnish(api, "groups", group)
    before = _owned_objects(sandbox)
    project = api.post("/projects", json={"name": "App", "namespace_id": group}).json()["id"]
    _furnish(api, "projects", project)
    furnished = _owned_objects(sandbox)
    assert all(furnished[kind] > before[kind] for kind in OWNED if kind != "groups")

    assert api.delete(f"/projects/{project}").status_code == 202
    assert _owned_objects(sandbox) == before
    assert [label["name"] for label in api.get(f"/groups/{group}/labels").json()] == [
        f"groups-{group}"
    ]


def test_a_deleted_group_takes_its_subgroups_projects_and_everything_they_held(sandbox, api):
    before = _owned_objects(sandbox)
    group = api.post("/groups", json={"name": "Acme", "path": "acme"}).json()["id"]
    team = api.post("/groups", json={"name": "Team", "path": "team", "parent_id": group}).json()
    project = api.post("/projects", json={"name": "App", "namespace_id": team["id"]}).json()
    for kind, owner in (("groups", group), ("groups", team["id"]), ("projects", project["id"])):
        _furnish(api, kind, owner)
    furnished = _owned_objects(sandbox)
    assert all(furnished[kind] > before[kind] for kind in OWNED)

    assert api.delete(f"/groups/{group}").status_code == 202
    assert _owned_objects(sandbox) == before
