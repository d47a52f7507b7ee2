"""The People page (`/people`): find a person by an identifier, and see their profile and cross-channel timeline.

- `q`: a person id, user id, anonymous id, e-mail or phone (`service.people.find_people`: e-mails
  and phones are hashed with the project key, as import does, and the hash is looked up). One
  match opens that person; several are listed, each a link.
- Neither: the people seen most recently, each a link (a place to start).
- `person`: one person's profile, identifiers, stage history, conversions, traits and every event
  in time order with its properties (`service.people.person_profile`). Everything the data sent
  is shown escaped by the template.
"""

from __future__ import annotations

from jejak.core.errors import SettingError
from jejak.service.builds import open_build
from jejak.service.people import find_people, person_profile, recently_seen
from jejak.web.pages import PageContext, PageResult, Section

LONGEST_QUERY = 320  # characters: an e-mail is at most 254


def _text(ctx: PageContext, name: str) -> str:
    text = (ctx.params.get(name) or "").strip()
    if len(text) > LONGEST_QUERY:
        raise SettingError(f"{name} is {len(text)} characters long; at most {LONGEST_QUERY} are allowed.")
    return text


def people(ctx: PageContext) -> PageResult:
    query = _text(ctx, "q")
    person = _text(ctx, "person")
    sections: list[Section] = []
    with open_build(ctx.project) as built:
        matches = find_people(built, query) if query else []
        chosen = [row["person_id"] for row in matches if row["person_id"]]
        if not person and len(chosen) == 1:
            person = chosen[0]
        profile = person_profile(built, person) if person else None
        recent = recently_seen(built) if not query and not person else None
    if recent is not None:
        sections.append(Section("recently_seen", recent))
    if query:
        sections.append(Section("matches", matches))
    for key, rows in (profile or {}).items():
        sections.append(Section(key, rows))
    extra = {
        "query": query,
        "person": person,
        "found": bool(matches) if query else None,
        "known_person": profile is not None if person else None,
    }
    return PageResult(sections, extra)
