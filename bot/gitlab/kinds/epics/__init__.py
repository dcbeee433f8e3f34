"""Epics (`bot/engine/reconcilers/epics.py`), one store per way the tier keeps them.

- `work_items.py`: group work items through GraphQL (GitLab 18.1+);
- `legacy.py`: legacy group epics through REST (before 18.1);
- `parent_issues.py`: Free (or a project outside a group): parent issues carrying their phase
  label, with their child issues linked by `relates_to`;
- `store.py`: what every mode shares (the `EpicStore` base, and where epics cannot nest, the
  parent's list of children); `choice.py`: which store a project gets; `documents.py`: the
  GraphQL documents.

`relates_to` links rather than tasks: a task is not an issue (it leaves the issue boards and the
milestone's issue list), while a related issue stays an ordinary issue; links are on Free.

Where the tier has no parent epics (Premium: multi-level child epics are Ultimate,
`GL:doc/user/group/epics/manage_epics.md`, and so are linked epics,
`GL:doc/user/group/epics/linked_epics.md`) every epic is a top-level epic of the group, and the
tree is shown the ways Premium has: the parent epic's description ends with a list of its
children (`&iid+` references, which GitLab renders as links showing the epic's title), kept
current by compare-and-update, and every epic of the engagement carries its scoped label. The
adapter reads that list back as each child's parent, so the engine sees the same tree on every
tier. When the group moves to Ultimate, the next apply finds no real parent and sets it; the
other way round, the real parents stay and are read as they are.

Group epics are seen by every project of the group: the stores keep only those whose marker
names no project or this one (`Marker.belongs_to`), so an engagement never matches, adopts,
retitles or links to the epics of another engagement in the same group.

This `__init__` stays empty of code, so that importing one store imports no other.
"""
