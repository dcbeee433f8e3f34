"""How much of GitLab's documented example responses the sandbox's answers carry.

    python bench/contract_keys.py [--verbose]

Builds the contract world of `tests/contract/world.py` on a premium sandbox (plus what
`tests/contract/families.py` adds), calls every endpoint of `inventory.REST` (premium) and
`families.FAMILIES`, and compares each answer with the documented example it names: every
key of the example, at any depth (list items pooled), counts once. Prints the keys matched,
the keys missing and the values of an undocumented JSON type, per endpoint and in all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.service.threaded import run_in_thread  # noqa: E402
from gitlab_sandbox import DEFAULT_ADMIN_TOKEN, create_app  # noqa: E402
from tests.conftest import SandboxServer  # noqa: E402
from tests.contract.families import FAMILIES, extend  # noqa: E402
from tests.contract.inventory import REST  # noqa: E402
from tests.contract.shapes import Shape, fixture, shape_of  # noqa: E402
from tests.contract.world import build  # noqa: E402


def count_keys(shape: Shape) -> int:
    """Documented keys at every depth of an example's shape."""
    total = sum(1 + count_keys(inner) for inner in shape.keys.values())
    return total + (count_keys(shape.items) if shape.items is not None else 0)


def measure(verbose: bool) -> int:
    running = run_in_thread(create_app(tier="premium", admin_token=DEFAULT_ADMIN_TOKEN))
    try:
        sandbox = SandboxServer(running, DEFAULT_ADMIN_TOKEN)
        world = build(sandbox)
        try:
            extend(world)
        except AssertionError as refused:  # an older sandbox: what it cannot build stays unbuilt
            print(f"could not build everything: {str(refused).splitlines()[0]}")
        keys = missing = mistyped = unserved = 0
        entries = [e for e in REST if e.tier == "premium"] + list(FAMILIES)
        for entry in entries:
            found = fixture(entry.fixture)
            documented = found.examples[entry.example]
            wanted = count_keys(shape_of(documented))
            try:
                answer: Any = world.call(
                    entry.method,
                    world.fill(entry.call),
                    params=entry.query or None,
                    json=world.fill(entry.body) if entry.body else None,
                )
            except AssertionError as refused:  # not served: every documented key is missing
                keys, missing, unserved = keys + wanted, missing + wanted, unserved + 1
                print(f"{entry.name:60} {0:4}/{wanted:<4} {str(refused).splitlines()[0][:60]}")
                continue
            problems = found.check(entry.example, answer)
            lacking = sum(1 for p in problems if p.endswith(": missing"))
            keys, missing, mistyped = (
                keys + wanted,
                missing + lacking,
                mistyped + (len(problems) - lacking),
            )
            if verbose or problems:
                print(f"{entry.name:60} {wanted - lacking:4}/{wanted:<4} {problems[:3]}")
        world.close()
    finally:
        running.stop()
    matched = keys - missing
    print(f"endpoints compared: {len(entries)} (not served: {unserved})")
    print(f"documented keys matched: {matched}/{keys} = {100 * matched / keys:.1f}%")
    print(f"values of an undocumented JSON type: {mistyped}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="one line per endpoint")
    return measure(parser.parse_args().verbose)


if __name__ == "__main__":
    raise SystemExit(main())
