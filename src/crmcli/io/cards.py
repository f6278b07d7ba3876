"""Contacts as vCard 3.0 (vobject) and plans as iCalendar (icalendar), for a phone's
address book and a salesperson's calendar app. Both re-parse with those libraries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

from crmcli.io import values as v

PRODID = "-//crmcli//crm export//EN"
APPOINTMENT_MINUTES = 30


def _phone(stored: str, redact: bool) -> str:
    if redact:
        return v.mask_phone(stored)
    number, _, ext = stored.partition(";ext=")
    return f"{number} ext. {ext}" if ext else number


def write_vcards(rows: Iterable[Mapping[str, Any]], out: IO[str], *, redact: bool) -> int:
    import vobject

    count = 0
    for row in rows:
        card = vobject.vCard()
        card.add("fn").value = row["name"]
        card.add("n").value = vobject.vcard.Name(family=row["name"])
        card.add("org").value = [row["customer_name"]]
        if row.get("title"):
            card.add("title").value = row["title"]
        if row.get("phone"):
            tel = card.add("tel")
            tel.value = _phone(row["phone"], redact)
            tel.type_param = "CELL" if row["phone"].startswith("+861") else "WORK"
        if row.get("email"):
            mail = card.add("email")
            mail.value = v.mask_email(row["email"]) if redact else row["email"]
            mail.type_param = "INTERNET"
        birthday = row.get("birthday")
        notes = [row["notes"]] if row.get("notes") else []
        if birthday and not row.get("birthday_lunar") and len(birthday) == 10:
            card.add("bday").value = birthday
        elif birthday:
            kind = "农历" if row.get("birthday_lunar") else ""
            leap = "闰月" if row.get("birthday_leap") else ""
            notes.append(f"生日 {kind}{leap}{birthday}")
        if notes:
            card.add("note").value = "\n".join(notes)
        if row.get("gender"):
            card.add("x-gender").value = row["gender"]
        card.add("x-crm-customer").value = row["customer_code"]
        card.add("uid").value = f"contact-{row['id']}@crmcli"
        out.write(card.serialize())
        count += 1
    return count


def write_calendar(entries: Sequence[Any], out: IO[bytes], *, timezone: str, redact: bool) -> int:
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    zone = ZoneInfo(timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "crm")
    calendar.add("x-wr-timezone", timezone)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("summary", entry.summary)
        description = entry.description
        if entry.phone:
            description += f"\nphone: {_phone(entry.phone, redact)}"
        if entry.owner:
            description += f"\nowner: {entry.owner}"
        event.add("description", description)
        if entry.clock:
            hour, minute = (int(x) for x in entry.clock.split(":"))
            start = datetime(
                entry.day.year, entry.day.month, entry.day.day, hour, minute, tzinfo=zone
            )
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=APPOINTMENT_MINUTES))
        else:
            day: date = entry.day
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    # VTIMEZONE for Asia/Shanghai (or the configured zone), so every client can read DTSTART.
    calendar.add_missing_timezones()
    out.write(calendar.to_ical())
    return len(entries)
