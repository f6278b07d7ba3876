"""Contacts as vCard 3.0 (vobject) and plans as iCalendar (icalendar), for a phone's
address book and a salesperson's calendar app. Both re-parse with those libraries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

from crmcli.io import values as v

PRODID = "-//crmcli//crm export//EN"
APPOINTMENT_MINUTES = 30


def _phone(stored: str, redact: bool) -> str:
    if redact:
        return v.mask_phone(stored)
    number, _, ext = stored.partition(";ext=")
    return f"{number} ext. {ext}" if ext else number


def _phone_types(stored: str) -> list[str]:
    """TYPE of a TEL: CELL only for a mobile number, WORK,VOICE for a fixed line (a
    company's switchboard), VOICE when the number's kind cannot be told (a US number may
    be either)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(stored.partition(";ext=")[0], None)
    except phonenumbers.NumberParseException:
        return ["VOICE"]
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return ["CELL"]
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE:
        return ["WORK", "VOICE"]
    return ["VOICE"]


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
            tel.type_paramlist = _phone_types(row["phone"])
        if row.get("email"):
            mail = card.add("email")
            mail.value = v.mask_email(row["email"]) if redact else row["email"]
            mail.type_param = "INTERNET"
        birthday = row.get("birthday")
        notes = [row["notes"]] if row.get("notes") else []
        if birthday and not row.get("birthday_lunar") and len(birthday) == 10:
            card.add("bday").value = birthday
        elif birthday and not row.get("birthday_lunar") and len(birthday) == 5:
            # A birthday without its year: vCard's --MMDD (RFC 6350 4.3.1), as phones write.
            card.add("bday").value = "--" + birthday.replace("-", "")
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


@dataclass(frozen=True)
class Alarms:
    """A reminder per calendar entry: ``minutes`` before one with a time, at ``all_day``
    (a time of day, "09:00") on the day of an all-day one; none when not ``on``."""

    on: bool = True
    minutes: int = 30
    all_day: str = "09:00"


def _alarm(entry: Any, alarms: Alarms) -> Any:
    from icalendar import Alarm

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", entry.summary)
    if entry.clock:
        alarm.add("trigger", timedelta(minutes=-alarms.minutes))
    else:
        at = time.fromisoformat(alarms.all_day)
        # From the start of the day (DTSTART, midnight there): Google and Thunderbird
        # write an all-day reminder the same way.
        alarm.add("trigger", timedelta(hours=at.hour, minutes=at.minute))
    return alarm


def write_calendar(
    entries: Sequence[Any],
    out: IO[bytes],
    *,
    timezone: str,
    redact: bool,
    alarms: Alarms | None = None,
) -> int:
    from zoneinfo import ZoneInfo

    from icalendar import Calendar, Event

    zone = ZoneInfo(timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "crm")
    calendar.add("x-wr-timezone", timezone)
    # The VTIMEZONE of the configured zone, always: the calendar says which zone its days
    # are in even when it holds only all-day entries (or none).
    from contextlib import suppress

    from icalendar import Timezone

    with suppress(ValueError):  # a zone icalendar cannot describe: X-WR-TIMEZONE names it
        calendar.add_component(Timezone.from_tzid(timezone))
    stamp = datetime.now(UTC).replace(microsecond=0)
    for entry in entries:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", stamp)
        event.add("sequence", entry.sequence)
        if entry.modified is not None:
            modified = entry.modified.replace(microsecond=0)
            event.add("last-modified", modified.replace(tzinfo=modified.tzinfo or UTC))
        event.add("status", entry.status)
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
        if alarms is None or alarms.on:
            event.add_component(_alarm(entry, alarms or Alarms()))
        calendar.add_component(event)
    calendar.add_missing_timezones()  # none, unless an entry used another zone
    out.write(calendar.to_ical())
    return len(entries)
