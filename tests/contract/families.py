"""GitLab calls around the bot's own: the families a bot's users touch (issue 24), each with
the page of GitLab's documentation whose example response the sandbox's answer must match.

Kept apart from `inventory.REST` (the calls the bot makes). `extend` builds what these calls
read on top of the contract world.
"""

from __future__ import annotations

from .inventory import Rest
from .world import World

P = "/projects/{pid}"
G = "/groups/{gid}"
AROUND = "around the bot: what its users touch (issue 24)"
SSH_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAABJQAAAIEAiPWx6WM4lhHNedGfBpPJNPpZ7yKu+dnn1SJejgt4596k6YjzGGphH2T"
    "UxwKzxcKDKKezwkpfnxPkSMkuEspGRt/aZZ9wa++Oi7Qkr8prgHc4soW6NUlfDzpvZK2H5E7eQaSeP3SAwGmQKUFHCd"
    "dNaP0L+hM7zhFNzjFvpaMgJw0= me@example.com"
)
GPG_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBFV\n-----END PGP PUBLIC KEY BLOCK-----"

FAMILIES: tuple[Rest, ...] = (
    Rest("GET", "/topics", "topic", "list", AROUND, "/topics"),
    Rest("GET", "/topics/:id", "topic", "get", AROUND, "/topics/{topic_id}"),
    Rest(
        "POST", "/topics", "topic", "create", AROUND, "/topics", body={"name": "t2", "title": "T2"}
    ),
    Rest(
        "PUT",
        "/topics/:id",
        "topic",
        "update",
        AROUND,
        "/topics/{topic_id}",
        body={"description": "d"},
    ),
    Rest(
        "POST",
        "/topics/merge",
        "topic",
        "merge",
        AROUND,
        "/topics/merge",
        body={"source_topic_id": "{merge_source_id}", "target_topic_id": "{topic_id}"},
    ),
    Rest("GET", "/projects/:id/badges", "badge", "list", AROUND, P + "/badges"),
    Rest("GET", "/projects/:id/badges/:badge_id", "badge", "get", AROUND, P + "/badges/{badge_id}"),
    Rest(
        "POST",
        "/projects/:id/badges",
        "badge",
        "create",
        AROUND,
        P + "/badges",
        body={
            "link_url": "https://example.com/%{project_path}",
            "image_url": "https://img",
            "name": "b",
        },
    ),
    Rest(
        "PUT",
        "/projects/:id/badges/:badge_id",
        "badge",
        "edit",
        AROUND,
        P + "/badges/{badge_id}",
        body={"image_url": "https://img2"},
    ),
    Rest(
        "GET",
        "/projects/:id/badges/render",
        "badge",
        "render",
        AROUND,
        P + "/badges/render",
        query={"link_url": "https://example.com/%{project_id}", "image_url": "https://img"},
    ),
    Rest("GET", "/groups/:id/badges", "badge", "list", AROUND, G + "/badges"),
    Rest(
        "GET",
        "/projects/:id/custom_attributes",
        "custom_attribute",
        "list",
        AROUND,
        P + "/custom_attributes",
    ),
    Rest(
        "GET",
        "/users/:id/custom_attributes/:key",
        "custom_attribute",
        "get",
        AROUND,
        "/users/{alice_id}/custom_attributes/location",
    ),
    Rest(
        "PUT",
        "/groups/:id/custom_attributes/:key",
        "custom_attribute",
        "set",
        AROUND,
        G + "/custom_attributes/location",
        body={"value": "Greenland"},
    ),
    Rest("GET", "/namespaces", "namespace", "list", AROUND, "/namespaces"),
    Rest(
        "GET", "/namespaces", "namespace", "search", AROUND, "/namespaces", query={"search": "acme"}
    ),
    Rest(
        "GET",
        "/notification_settings",
        "notification_setting",
        "global",
        AROUND,
        "/notification_settings",
    ),
    Rest(
        "PUT",
        "/notification_settings",
        "notification_setting",
        "global_update",
        AROUND,
        "/notification_settings",
        body={"level": "watch"},
    ),
    Rest(
        "GET",
        "/groups/:id/notification_settings",
        "notification_setting",
        "one",
        AROUND,
        G + "/notification_settings",
    ),
    Rest(
        "PUT",
        "/projects/:id/notification_settings",
        "notification_setting",
        "custom",
        AROUND,
        P + "/notification_settings",
        body={"level": "custom", "new_note": True},
    ),
    Rest("GET", "/user/keys", "ssh_key", "list", AROUND, "/user/keys"),
    Rest(
        "GET", "/users/:id/keys/:key_id", "ssh_key", "get", AROUND, "/users/{root_id}/keys/{key_id}"
    ),
    Rest(
        "POST",
        "/user/keys",
        "ssh_key",
        "create",
        AROUND,
        "/user/keys",
        body={"title": "ABC", "key": SSH_KEY.replace("AAAAB3", "AAAAB4"), "usage_type": "auth"},
    ),
    Rest("GET", "/user/gpg_keys", "gpg_key", "list", AROUND, "/user/gpg_keys"),
    Rest("GET", "/user/gpg_keys/:key_id", "gpg_key", "get", AROUND, "/user/gpg_keys/{gpg_key_id}"),
    Rest("GET", "/user/emails", "email", "list", AROUND, "/user/emails"),
    Rest("GET", "/user/emails/:email_id", "email", "get", AROUND, "/user/emails/{email_id}"),
    Rest(
        "POST",
        "/users/:id/emails",
        "email",
        "create",
        AROUND,
        "/users/{alice_id}/emails",
        body={"email": "alice2@example.com", "skip_confirmation": True},
    ),
    Rest(
        "GET",
        "/projects/:id/hooks/:hook_id",
        "project_hook",
        "get",
        AROUND,
        P + "/hooks/{project_hook_id}",
    ),
    Rest("GET", "/projects/:id/uploads", "upload", "list", AROUND, P + "/uploads"),
    Rest(
        "POST",
        "/users/:user_id/impersonation_tokens",
        "impersonation_token",
        "create",
        AROUND,
        "/users/{alice_id}/impersonation_tokens",
        body={"name": "mytoken", "scopes": ["api"], "expires_at": "2030-04-04"},
    ),
    Rest("GET", "/user/activities", "user_activity", "list", AROUND, "/user/activities"),
    # answers in the shape of an entity documented elsewhere
    Rest(
        "POST",
        "/projects/:id/labels/:label_id/subscribe",
        "label",
        "get",
        AROUND,
        P + "/labels/{label_id}/subscribe",
    ),
    Rest("POST", "/projects/:id/star", "project", "get", AROUND, P + "/star"),
    Rest(
        "POST",
        "/projects/:id/fork",
        "project",
        "get",
        AROUND,
        P + "/fork",
        body={"namespace": "root", "path": "app-copy", "name": "App copy"},
    ),
    Rest(
        "PUT",
        "/projects/:id/transfer",
        "project",
        "get",
        AROUND,
        "/projects/{fork_id}/transfer",
        body={"namespace": "acme"},
    ),
    Rest("POST", "/groups/:id/transfer", "group", "get", AROUND, "/groups/{subgroup_id}/transfer"),
    Rest(
        "POST",
        "/groups/:id/share",
        "group",
        "get",
        AROUND,
        G + "/share",
        body={"group_id": "{subgroup_id}", "group_access": 30},
    ),
    Rest("GET", "/events", "event", "mine", AROUND, "/events"),
    Rest("GET", "/projects/:id/events", "event", "project", AROUND, P + "/events"),
    Rest("GET", "/users/:id/events", "event", "user", AROUND, "/users/{root_id}/events"),
)


def extend(world: World) -> None:
    """A topic (and one to merge into it), badges, custom attributes, keys and an email."""
    ids = world.ids
    pid, gid = ids["pid"], ids["gid"]
    ids["topic_id"] = world.call("POST", "/topics", json={"name": "planning", "title": "Planning"})[
        "id"
    ]
    ids["merge_source_id"] = world.call(
        "POST", "/topics", json={"name": "plans", "title": "Plans"}
    )["id"]
    world.call("PUT", f"/projects/{pid}", json={"topics": ["planning"]})
    badge = {"link_url": "https://ci/%{project_path}", "image_url": "https://img", "name": "CI"}
    ids["badge_id"] = world.call("POST", f"/projects/{pid}/badges", json=badge)["id"]
    world.call("POST", f"/groups/{gid}/badges", json=dict(badge, name="Group"))
    world.call("PUT", f"/projects/{pid}/custom_attributes/role", json={"value": "Developer"})
    world.call(
        "PUT", f"/users/{ids['alice_id']}/custom_attributes/location", json={"value": "Oslo"}
    )
    ids["key_id"] = world.call("POST", "/user/keys", json={"title": "laptop", "key": SSH_KEY})["id"]
    ids["gpg_key_id"] = world.call("POST", "/user/gpg_keys", json={"key": GPG_KEY})["id"]
    ids["email_id"] = world.call("POST", "/user/emails", json={"email": "root2@example.com"})["id"]
    ids["fork_id"] = world.call(
        "POST",
        f"/projects/{pid}/fork",
        json={"namespace": "root", "path": "app-fork", "name": "App fork"},
    )["id"]
    ids["subgroup_id"] = world.call(
        "POST", "/groups", json={"name": "Team", "path": "team2", "parent_id": gid}
    )["id"]
    ids["project_hook_id"] = world.call(
        "POST",
        f"/projects/{pid}/hooks",
        json={
            "url": "http://127.0.0.1:9/hook",
            "name": "Hook name",
            "description": "Hook description",
            "custom_webhook_template": '{"event":"{{object_kind}}"}',
            "custom_headers": [{"key": "Authorization", "value": "Bearer x"}],
        },
    )["id"]
    world.api.post(f"/projects/{pid}/uploads", files={"file": ("dk.png", b"not really a png")})
