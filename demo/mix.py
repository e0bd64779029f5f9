"""The demo's mix of emails: mostly deliverable, some failing on purpose.

`plan(count, templates)` returns the emails to send, in a shuffled but
repeatable order. The failing ones use the Notify test key's simulator
addresses and two mistakes a real service makes: a missing personalisation
field and a template id that does not exist.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TEMP_FAIL = "temp-fail@simulator.notify"
PERM_FAIL = "perm-fail@simulator.notify"

FIRST_NAMES = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Efua",
    "Finn",
    "Grace",
    "Harpreet",
    "Isla",
    "Jamal",
    "Kasia",
    "Liam",
    "Mei",
    "Niamh",
    "Olu",
    "Priya",
    "Quentin",
    "Rhys",
    "Siobhan",
    "Tomasz",
    "Uma",
    "Vikram",
    "Wen",
    "Xavier",
    "Yusuf",
    "Zara",
]
LAST_NAMES = [
    "Adeyemi",
    "Brown",
    "Campbell",
    "Davies",
    "Evans",
    "Fraser",
    "Ghosh",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kowalski",
    "Lewis",
    "Murphy",
    "Nowak",
    "Okafor",
    "Patel",
    "Roberts",
    "Singh",
    "Taylor",
    "Walker",
    "Williams",
    "Wright",
    "Young",
]
DOMAINS = ("example.com", "example.org", "example.co.uk", "example.net")

# Notify placeholders: ((name)) and conditional ((name??text)).
PLACEHOLDER = re.compile(r"\(\(([^()?]+?)(?:\?\?[^()]*)?\)\)")


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    placeholders: tuple[str, ...]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Template:
        """A template from the Notify API's template object (subject + body)."""
        text = f"{data.get('subject') or ''}\n{data.get('body') or ''}"
        seen: dict[str, None] = {}
        for match in PLACEHOLDER.finditer(text):
            seen.setdefault(match.group(1).strip(), None)
        return cls(id=str(data["id"]), name=str(data.get("name", "")), placeholders=tuple(seen))


@dataclass(frozen=True)
class Email:
    kind: str  # "ok", "temp-fail", "perm-fail", "missing-field", "no-such-template"
    email_address: str
    template_id: str
    personalisation: dict[str, Any] = field(default_factory=dict)


KINDS = ("ok", "temp-fail", "perm-fail", "missing-field", "no-such-template")


def shares(count: int) -> dict[str, int]:
    """How many emails of each kind: 5 % temp-fail, 3 % perm-fail, 1 % each
    of the two mistakes (at least one of each kind when count >= 5)."""
    minimum = 1 if count >= len(KINDS) else 0
    n = {
        "temp-fail": max(minimum, count * 5 // 100),
        "perm-fail": max(minimum, count * 3 // 100),
        "missing-field": max(minimum, count // 100),
        "no-such-template": max(minimum, count // 100),
    }
    n["ok"] = count - sum(n.values())
    if n["ok"] < 0:
        raise ValueError(f"count must be at least {count - n['ok']}, not {count}")
    return n


def _value(name: str, first: str, last: str, rng: random.Random) -> str | list[str]:
    """A plausible value for placeholder `name`."""
    key = re.sub(r"[\s_-]", "", name.lower())
    if key.startswith(("has", "is", "show")):
        return rng.choice(["yes", ""])  # a conditional ((name??text)): shown when truthy
    if "items" in key or "list" in key:
        return rng.sample(["Passport photo", "Birth certificate", "Utility bill", "Council tax"], 2)
    if "total" in key or "amount" in key or "price" in key or "fee" in key:
        return f"£{rng.randint(10, 200)}.{rng.randint(0, 99):02d}"
    if "first" in key or key == "name":
        return first
    if "last" in key or "surname" in key:
        return last
    if "name" in key:
        return f"{first} {last}"
    if "date" in key or "day" in key:
        return f"{rng.randint(1, 28)} {rng.choice(['March', 'April', 'May', 'June'])} 2027"
    if "code" in key or "ref" in key or "number" in key:
        return f"{rng.randint(100000, 999999)}"
    if "link" in key or "url" in key:
        return f"https://www.example.gov.uk/applications/{rng.randint(1000, 9999)}"
    return f"{first}'s {name}"


def plan(count: int, templates: Sequence[Template], seed: int = 2027) -> list[Email]:
    """The `count` emails of the demo, over `templates` (at least one, and
    one with a placeholder for the missing-field case)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    if not templates:
        raise ValueError("templates: the emulator has no email template")
    with_fields = [t for t in templates if t.placeholders] or list(templates)
    rng = random.Random(seed)
    emails: list[Email] = []
    for kind, n in shares(count).items():
        for _ in range(n):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            template = rng.choice(with_fields if kind == "missing-field" else templates)
            values = {p: _value(p, first, last, rng) for p in template.placeholders}
            address = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(DOMAINS)}".lower()
            template_id = template.id
            if kind == "temp-fail":
                address = TEMP_FAIL
            elif kind == "perm-fail":
                address = PERM_FAIL
            elif kind == "missing-field" and values:
                values.pop(rng.choice(sorted(values)))
            elif kind == "no-such-template":
                template_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            emails.append(Email(kind, address, template_id, values))
    rng.shuffle(emails)
    return emails
