"""The adapter split by kind: one store per engine reconciler (`bot/engine/reconcilers/`).

Each store reads its kind into the engine's `LiveObject`s and writes it as find-or-create or
compare-and-update. Stores never import `GitLabProject`: they receive a `ProjectContext` (and
the sibling stores they lean on), and `bot/gitlab/project.py` composes them into the engine's
port. This package's `__init__` stays empty so that importing one store imports no other.
"""
