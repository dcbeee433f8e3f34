"""What the adapter knows about live objects between operations: refs by key, ids by name."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EpicHandle:
    """The ids one epic goes by: its iid (our ref), work-item gid, legacy epic id, issue id."""

    iid: int
    gid: str | None = None
    legacy_id: int | None = None


@dataclass
class Index:
    refs: dict[str, str] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    epics: dict[str, EpicHandle] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, key: str, ref: str) -> None:
        with self._lock:
            self.refs[key] = ref

    def label(self, name: str, label_id: int) -> None:
        with self._lock:
            self.labels[name] = label_id

    def epic(self, handle: EpicHandle) -> None:
        with self._lock:
            self.epics[str(handle.iid)] = handle
