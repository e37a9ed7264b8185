"""Checking rows against the register and planning the writes (``rows_plan``): no query per row."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from registry.importing.format import COLUMNS, QUERY_CHUNK
from registry.importing.workbook import Row, Sheet, group_keys
from registry.models import (
    Area,
    Household,
    Member,
)

Relation = Member.Relation

# --- Checking against the register and planning the writes --------------------------------------

_MEMBER_FIELDS = ("household_id", "name", "relation", "phone", "id_number", "birth_date")


@dataclass
class Plan:
    # New rows are kept as field values: a dry run need not build model instances.
    households_new: list[dict[str, Any]] = field(default_factory=list)
    households_changed: list[Household] = field(default_factory=list)
    # (household number, member): the household may not exist yet when the plan is made.
    members_new: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    members_changed: list[tuple[str | None, Member]] = field(default_factory=list)
    # Written first, so that no statement ever sees two heads or one ID number twice.
    members_interim: list[Member] = field(default_factory=list)
    touched_household_ids: set[int] = field(default_factory=set)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def write_count(self) -> int:
        return (
            len(self.households_new)
            + len(self.households_changed)
            + len(self.members_new)
            + len(self.members_changed)
        )


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rows_plan(village: Area, sheet: Sheet) -> Plan | None:
    """Check the rows against each other and the register; the writes, if there are no errors.

    Reads the village's groups, households and members in three queries and the ID numbers of
    other villages in chunks of the file's numbers: no query per row.
    """
    groups: dict[str, int] = {}
    for group in Area.objects.filter(
        path__startswith=village.path, depth=village.depth + 1, level=Area.Level.GROUP
    ).order_by("path"):
        for key in group_keys(group.name):
            groups.setdefault(key, group.pk)
    households = {
        household["number"]: household
        for household in Household.objects.filter(village=village).values(
            "id", "number", "group_id", "address", "status"
        )
    }
    members = list(
        Member.objects.filter(household__village=village)
        .order_by("id")
        .values("id", *_MEMBER_FIELDS)
    )
    member_by_id_number = {m["id_number"]: m for m in members if m["id_number"]}

    _check_id_numbers(sheet, member_by_id_number)
    by_number: dict[str, list[Row]] = defaultdict(list)
    for row in sheet.rows:
        if row.number:
            by_number[row.number].append(row)
    heads = _check_households(village, sheet, by_number, households, groups)
    if sheet.errors:
        sheet.errors.sort(key=lambda error: (error["row"], _COLUMN_ORDER.get(error["column"], -1)))
        return None
    return _plan_writes(village, sheet, by_number, heads, households, members, groups)


_COLUMN_ORDER = {column.header: position for position, column in enumerate(COLUMNS)}


def _check_id_numbers(sheet: Sheet, member_by_id_number: dict[str, dict[str, Any]]) -> None:
    first_line: dict[str, int] = {}
    outside: set[str] = set()
    for row in sheet.rows:
        if not row.id_number:
            continue
        if row.id_number in first_line:
            sheet.error(
                row,
                "id_number",
                "duplicate_id_number",
                row.id_number,
                row=first_line[row.id_number],
            )
            continue
        first_line[row.id_number] = row.line
        if row.id_number not in member_by_id_number:
            outside.add(row.id_number)
    # An ID number not found in this village may still belong to someone in another one.
    taken: set[str] = set()
    for chunk in chunks(sorted(outside), QUERY_CHUNK):
        # Excluding blanks repeats the unique index's condition, so that the index is used.
        found = Member.objects.filter(id_number__in=chunk).exclude(id_number="")
        taken.update(found.values_list("id_number", flat=True))
    if taken:
        for row in sheet.rows:
            if row.id_number in taken and first_line[row.id_number] == row.line:
                sheet.error(row, "id_number", "id_number_taken", row.id_number)


def _check_households(
    village: Area,
    sheet: Sheet,
    by_number: dict[str, list[Row]],
    households: dict[str, dict[str, Any]],
    groups: dict[str, int],
) -> dict[str, Row]:
    heads: dict[str, Row] = {}
    closed_labels = dict(Household.Status.choices)
    for number, rows in by_number.items():
        for row in rows:
            if row.relation != Relation.HEAD:
                continue
            if number in heads:
                sheet.error(
                    row, "number", "duplicate_number", number, number=number, row=heads[number].line
                )
            else:
                heads[number] = row
        head = heads.get(number)
        if head is None:
            # A row with an unreadable relation may be the head: its own error says so.
            if all(row.relation is not None for row in rows):
                sheet.error(rows[0], "relation", "missing_head", number, number=number)
            continue
        if head.group and not any(key in groups for key in group_keys(head.group)):
            sheet.error(head, "group", "unknown_group", head.group, village=village.name)
        existing = households.get(number)
        if existing is not None and existing["status"] != Household.Status.ACTIVE:
            sheet.error(
                head,
                "number",
                "household_closed",
                number,
                number=number,
                status=closed_labels[existing["status"]],
            )
    return heads


def _resolve_group(text: str, groups: dict[str, int]) -> int | None:
    for key in group_keys(text) if text else ():
        if key in groups:
            return groups[key]
    return None


def _plan_writes(
    village: Area,
    sheet: Sheet,
    by_number: dict[str, list[Row]],
    heads: dict[str, Row],
    households: dict[str, dict[str, Any]],
    members: list[dict[str, Any]],
    groups: dict[str, int],
) -> Plan:
    plan = Plan()
    columns = sheet.columns
    now = timezone.now()
    summary = defaultdict(int)
    summary["households"] = len(by_number)
    summary["rows"] = len(sheet.rows)

    # Match rows to members: by ID number first, so that a name never takes someone else's row.
    member_by_id_number = {m["id_number"]: m for m in members if m["id_number"]}
    by_household_name: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for member in members:
        by_household_name[(member["household_id"], member["name"])].append(member)
    matched: dict[int, dict[str, Any]] = {}  # row line → member
    used: set[int] = set()
    for row in sheet.rows:
        member = member_by_id_number.get(row.id_number) if row.id_number else None
        if member is not None:
            matched[row.line] = member
            used.add(member["id"])
    for row in sheet.rows:
        existing = households.get(row.number)
        if row.line in matched or existing is None:
            continue
        for member in by_household_name.get((existing["id"], row.name), ()):
            if member["id"] not in used:
                matched[row.line] = member
                used.add(member["id"])
                break

    for number, rows in by_number.items():
        head = heads[number]
        existing = households.get(number)
        group_id = _resolve_group(head.group, groups)
        if existing is None:
            plan.households_new.append(
                {
                    "number": number,
                    "group_id": group_id if "group" in columns else None,
                    "address": head.address if "address" in columns else "",
                }
            )
            summary["households_created"] += 1
        else:
            changed = Household(
                pk=existing["id"],
                group_id=group_id if "group" in columns else existing["group_id"],
                address=head.address if "address" in columns else existing["address"],
                updated_at=now,
            )
            if (changed.group_id, changed.address) != (existing["group_id"], existing["address"]):
                plan.households_changed.append(changed)
                plan.touched_household_ids.add(existing["id"])
        for row in rows:
            _plan_member(plan, summary, row, matched.get(row.line), existing, columns)

    # Members the file does not list are kept; a head the file replaces becomes "other".
    file_household_ids = {households[n]["id"] for n in by_number if n in households}
    for member in members:
        if member["id"] in used or member["household_id"] not in file_household_ids:
            continue
        summary["members_not_in_file"] += 1
        if member["relation"] == Relation.HEAD:
            current = {key: member[key] for key in _MEMBER_FIELDS}
            plan.members_interim.append(
                Member(pk=member["id"], **(current | {"relation": Relation.OTHER}))
            )
            plan.members_changed.append(
                (None, Member(pk=member["id"], **(current | {"relation": Relation.OTHER})))
            )
            plan.touched_household_ids.add(member["household_id"])
            summary["heads_demoted"] += 1

    summary["households_updated"] = len(plan.touched_household_ids)
    summary["households_unchanged"] = (
        summary["households"]
        - summary["households_created"]
        - len(plan.touched_household_ids & file_household_ids)
    )
    plan.summary = {key: summary[key] for key in SUMMARY_KEYS}
    return plan


SUMMARY_KEYS = (
    "rows",
    "households",
    "households_created",
    "households_updated",
    "households_unchanged",
    "members_created",
    "members_updated",
    "members_moved",
    "members_unchanged",
    "members_not_in_file",
    "heads_demoted",
)


def _plan_member(
    plan: Plan,
    summary: dict[str, int],
    row: Row,
    member: dict[str, Any] | None,
    household: dict[str, Any] | None,
    columns: frozenset[str],
) -> None:
    def value(key: str, default: Any) -> Any:
        if key in columns:
            return getattr(row, key)
        return member[key] if member is not None else default

    final = {
        "name": row.name,
        "relation": row.relation,
        "phone": value("phone", ""),
        "id_number": value("id_number", ""),
        "birth_date": value("birth_date", None),
    }
    if member is None:
        plan.members_new.append((row.number, final))
        summary["members_created"] += 1
        return
    moved = household is None or member["household_id"] != household["id"]
    if not moved and all(member[key] == final[key] for key in final):
        summary["members_unchanged"] += 1
        return
    changed = Member(pk=member["id"], household_id=member["household_id"], **final)
    plan.members_changed.append((row.number if moved else None, changed))
    summary["members_updated"] += 1
    if household is not None:
        plan.touched_household_ids.add(household["id"])
    if moved:
        summary["members_moved"] += 1
        plan.touched_household_ids.add(member["household_id"])
    loses_head = member["relation"] == Relation.HEAD and (
        moved or final["relation"] != Relation.HEAD
    )
    changes_id = member["id_number"] != final["id_number"] and member["id_number"] != ""
    if loses_head or changes_id:
        interim = Member(pk=member["id"], **{key: member[key] for key in _MEMBER_FIELDS})
        if loses_head:
            interim.relation = Relation.OTHER
        if changes_id:
            interim.id_number = ""
        plan.members_interim.append(interim)
