"""Issue description templates (`bot/engine/reconcilers/templates.py`): Markdown files under
`.gitlab/issue_templates/` on the default branch, read and written with the Repository Files API
(`GL:doc/api/repository_files.md`, `GL:doc/user/project/description_templates.md`).

Only the blueprint's own paths are read (a 404 is a template not made yet). A create that
finds the file there (GitLab answers 400) leaves it as it is; an update names the file's last
commit, so a person's commit since the read makes GitLab refuse it rather than lose their edit.
On an empty repository the first create starts the default branch.

GitLab copies a template's whole text into each issue filed from it, hidden comments included,
so the file's ownership marker is spelt `<!-- psdm-bot-template key=... -->`: an issue that
carries it is a person's, not one the bot made (issue readers only know `<!-- psdm-bot key=`).
"""

from __future__ import annotations

import base64
from typing import Any

import gitlab

from bot.engine.marker import parse
from bot.engine.plan import Operation
from bot.engine.port import LiveObject
from bot.gitlab.kinds.context import ProjectContext
from bot.gitlab.rest import create_once, enc, get, post, put
from bot.playbook.blueprint import ISSUE_TEMPLATES, Blueprint

COMMIT_MESSAGE = "psdm-bot: issue template {title}"
FILE_MARKER = "<!-- psdm-bot-template key="
OWN_MARKER = "<!-- psdm-bot key="
DEFAULT_BRANCH = "main"
"""The branch an empty repository's first commit starts when the project names none."""


class TemplateStore:
    def __init__(self, ctx: ProjectContext) -> None:
        self.ctx = ctx
        self.commits: dict[str, str] = {}
        """The last commit of each file as read, sent with its update."""

    def _file(self, path: str) -> str:
        return f"/projects/{self.ctx.address}/repository/files/{enc(path)}"

    def _get(self, path: str) -> dict[str, Any] | None:
        try:
            found = get(self.ctx.rest, self._file(path), ref="HEAD")
        except gitlab.GitlabHttpError as error:
            if error.response_code == 404:  # no such file, or no branch yet
                return None
            if error.response_code == 403:
                # The token's user may not read the repository (a Guest): the plan shows the
                # template to create and the role check before any write names the role.
                return None
            raise
        self.commits[path] = str(found.get("last_commit_id") or "")
        return found

    def read(self, blueprint: Blueprint | None) -> list[LiveObject]:
        found = []
        for template in blueprint.templates if blueprint is not None else ():
            answer = self._get(template.path)
            if answer is None:
                continue
            content = base64.b64decode(answer.get("content") or "").decode("utf-8", "replace")
            text, marker = parse(content.replace(FILE_MARKER, OWN_MARKER, 1))
            fields = {"description": text}
            found.append(LiveObject("template", template.path, template.title, fields, marker))
        return found

    def _branch(self) -> str:
        return str(self.ctx.load().get("default_branch") or DEFAULT_BRANCH)

    def write(self, op: Operation) -> str:
        path = f"{ISSUE_TEMPLATES}{op.title}.md" if op.ref is None else op.ref
        data: dict[str, Any] = {
            "branch": self._branch(),
            "commit_message": COMMIT_MESSAGE.format(title=op.title),
            "content": f"{op.body or ''}\n".replace(OWN_MARKER, FILE_MARKER, 1),
        }
        if op.op != "create":
            if path not in self.commits and self._get(path) is None:
                raise gitlab.GitlabHttpError(f"{path} is gone", response_code=404)
            put(self.ctx.rest, self._file(path), {**data, "last_commit_id": self.commits[path]})
            self._get(path)
            return path
        try:
            create_once(
                lambda: post(self.ctx.rest, self._file(path), data), lambda: self._get(path)
            )
        except gitlab.GitlabHttpError as error:  # 400: the file is there, whoever made it
            if error.response_code != 400 or self._get(path) is None:
                raise
        return path
