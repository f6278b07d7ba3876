"""TOML configuration: the policy numbers of SPEC §2 with their defaults from the seeds.

Read with tomllib, written with tomli-w. The user's file holds only what they changed;
everything else comes from ``DEFAULTS``. A reader looking for a policy number finds it here.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmcli.enums import CHANNEL, STAGE, TIER
from crmcli.errors import InvalidInput
from crmcli.i18n import N_, _

ALL_CONTACT_CHANNELS = ["phone", "visit", "meeting", "email", "wechat"]

DEFAULTS: dict[str, Any] = {
    # Where the database lives when neither --db nor $CRM_DB says (empty: XDG data dir).
    "database": "",
    # Who acts, for history and owner defaults (empty: $CRM_USER, else the login name).
    "user": "",
    # The team's clock: "today", due dates and day boundaries are reckoned in it.
    "timezone": "Asia/Shanghai",
    "lang": "en",
    # 定期拜访/回访 (seeds 001 第十二条…, 002, 003 客户维护): the longest gap between
    # contacts per tier, which channels count, and for core customers a visit 上门拜访
    # at least every 30 days. visit_days = 0 switches the visit rule off for a tier.
    "cadence": {
        "core": {
            "days": 14,
            "channels": list(ALL_CONTACT_CHANNELS),
            "visit_days": 30,
            "visit_channels": ["visit"],
        },
        "key": {
            "days": 30,
            "channels": list(ALL_CONTACT_CHANNELS),
            "visit_days": 0,
            "visit_channels": ["visit"],
        },
        "general": {
            "days": 90,
            "channels": list(ALL_CONTACT_CHANNELS),
            "visit_days": 0,
            "visit_channels": ["visit"],
        },
        # seed 003: 意向客户…每月至少一次电话拜访 — prospects are called, monthly.
        "potential": {
            "days": 30,
            "channels": ["phone"],
            "visit_days": 0,
            "visit_channels": ["visit"],
        },
    },
    # seed 003 三.4: 外拓后一周内必须电话回访客户.
    "outreach": {"callback_days": 7, "channels": ["phone"]},
    # 客户分级 (seeds 001 第六条, 002, 003 ABC): over the last window_months of net sales,
    # A = the top customers that together reach grade_a_percent of sales (Pareto),
    # B = the next ones up to grade_b_percent, C = the rest with sales. Value from
    # 购买金额/频率/稳定性 as RFM quintile scores (1–5 each, summed 3–15).
    "classification": {
        "window_months": 12,
        "grade_a_percent": 70.0,
        "grade_b_percent": 90.0,
        "tier_a": "core",
        "tier_b": "key",
        "tier_c": "general",
        "no_sales_tier": "potential",
        "no_sales_stages": ["lead", "target", "qualified"],
        "value_high_score": 12,
        "value_mid_score": 8,
    },
    # 客户维护要求及处罚 (seed 003 三): closed (customer/loyal), prospective (qualified/target)
    # and walk-in 来访 customers are greeted on the statutory holidays, the 24 solar terms
    # and their birthdays; a greeting not sent by the end of its day is a miss.
    "greetings": {
        "stages": ["customer", "loyal", "qualified", "target"],
        "acquisition": ["walk-in"],
        "occasions": ["holiday", "solar_term", "birthday"],
        "holidays": ["元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆"],
    },
    # 准客户/意向客户 and 来访客户: 每月至少一次电话拜访 — a calendar month without one is a miss.
    "monthly_call": {
        "stages": ["qualified", "target"],
        "acquisition": ["walk-in"],
        "channels": ["phone"],
    },
    # 客户投诉 (seed 003 三.1: 客户投诉…24小时内答复; 四: 一般/重要/重大 handled at the level
    # that fits): the first answer within response_hours for every severity, the solution
    # within resolution_days by severity. clock = "real" counts every hour; "working"
    # counts working days (day_start–day_end; weekends and statutory holidays off, 调休
    # make-up days on), one day of target being one working day.
    "sla": {
        "clock": "real",
        "day_start": "09:00",
        "day_end": "18:00",
        "response_hours": 24,
        "resolution_days": {"general": 7, "important": 3, "major": 1},
    },
    # 满意度调查 (seed 003 第九条: 每年至少进行一次): who must be surveyed, how often.
    "surveys": {"interval_months": 12, "stages": ["customer", "loyal"]},
    # 合作项目 (seed 002 四.1 立项和审批): moving a project to contract or beyond needs its
    # approval first. Documents (四.3 项目文档管理) are copied into archive_dir (empty: the
    # folder "<database file>.archive" beside an SQLite file; must be set for PostgreSQL).
    "project": {"approval_required": True, "archive_dir": ""},
    # 少发一条罚款10元 / 没有完成一个客户一次罚款10元 / 没有通知的一个客户一次罚款10元; 0 = off.
    "fines": {"greeting": 10, "monthly_call": 10, "campaign": 10},
    # Sales in other currencies are never added to the base currency's as they are: grades
    # compare customers in the base currency, each other currency at its rate here
    # (rates.USD = 7.1: one USD is 7.1 of the base). A sale in a currency without a rate
    # makes classification refuse, naming it.
    "currency": {"base": "CNY", "rates": {}},
    # crm export plans --format ics: a reminder (VALARM) on every entry, alarm_minutes
    # before a plan with a time, at all_day_alarm on the day of an all-day one.
    "calendar": {"alarms": True, "alarm_minutes": 30, "all_day_alarm": "09:00"},
}

# ``currency.rates.USD``: one key per currency, none of them in DEFAULTS.
_RATE_KEY = re.compile(r"currency\.rates\.[A-Z]{3}")
_RATE_EXAMPLE = 1.0


# How far a whole number may go, by its unit (``_within``).
_AT_MOST = {
    "days": N_("must be at most {high:,} days"),
    "months": N_("must be at most {high:,} months"),
    "yuan": N_("must be at most {high:,} yuan"),
    "hours": N_("must be at most {high:,} hours"),
    "minutes": N_("must be at most {high:,} minutes"),
}


def _within(low: int, high: int, unit: str) -> Callable[[int], str | None]:
    """A whole number of ``unit`` from ``low`` to ``high``: past a sane bound a day count
    pushes due dates beyond the calendar's end (year 9999) and a month count past what
    date arithmetic takes, so such a value is refused when set or loaded, not found out
    by the next ``overdue``."""

    def check(value: int) -> str | None:
        if value < low:
            return _("must be at least 1") if low == 1 else _("must be 0 or more")
        return None if value <= high else _(_AT_MOST[unit]).format(high=high)

    return check


# Ten years: the longest gap or window any of the policies could mean.
_DAYS = _within(1, 3650, "days")
_DAYS_OR_OFF = _within(0, 3650, "days")
_MONTHS = _within(1, 120, "months")
_FINE = _within(0, 1_000_000, "yuan")


def _channels(value: list[str]) -> str | None:
    bad = [v for v in value if v not in CHANNEL.values]
    if bad:
        return _("unknown channel {value!r}; expected some of {allowed}").format(
            value=bad[0], allowed=", ".join(CHANNEL.values)
        )
    return None if value else _("needs at least one channel")


def _timezone(value: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return _("is not a known time zone (e.g. Asia/Shanghai)")
    return None


def _lang(value: str) -> str | None:
    return None if value in ("en", "zh") else _("must be en or zh")


def _percent(value: float) -> str | None:
    return None if 0 < value <= 100 else _("must be a percentage above 0 and at most 100")


def _tier(value: str) -> str | None:
    if value in TIER.values:
        return None
    return _("must be one of {allowed}").format(allowed=", ".join(TIER.values))


def _stages(value: list[str]) -> str | None:
    bad = [v for v in value if v not in STAGE.values]
    if not bad:
        return None
    return _("unknown stage {value!r}; expected some of {allowed}").format(
        value=bad[0], allowed=", ".join(STAGE.values)
    )


def _score(value: int) -> str | None:
    return None if 3 <= value <= 15 else _("must be an RFM score from 3 to 15")


def _acquisition(value: list[str]) -> str | None:
    from crmcli.enums import ACQUISITION

    bad = [v for v in value if v not in ACQUISITION.values]
    return _("unknown acquisition channel {value!r}").format(value=bad[0]) if bad else None


def _occasions(value: list[str]) -> str | None:
    bad = [v for v in value if v not in ("holiday", "solar_term", "birthday")]
    if not bad:
        return None
    return _("unknown occasion kind {value!r}; expected holiday, solar_term, birthday").format(
        value=bad[0]
    )


def _holidays(value: list[str]) -> str | None:
    from crmcli.enums import HOLIDAYS

    bad = [v for v in value if v not in HOLIDAYS]
    if not bad:
        return None
    return _("unknown holiday {value!r}; expected some of {allowed}").format(
        value=bad[0], allowed=", ".join(HOLIDAYS)
    )


def _clock(value: str) -> str | None:
    return None if value in ("real", "working") else _("must be real or working")


def _clock_time(value: str) -> str | None:
    from datetime import time

    try:
        time.fromisoformat(value)
    except ValueError:
        return _("must be a time of day such as 09:00")
    return None


def _currency_code(value: str) -> str | None:
    if re.fullmatch(r"[A-Z]{3}", value):
        return None
    return _("must be a currency code like CNY or USD")


def _rate(value: float) -> str | None:
    from decimal import Decimal

    exponent = Decimal(repr(value)).as_tuple().exponent
    if not 0 < value < 1_000_000 or not isinstance(exponent, int) or exponent < -6:
        return _("must be a rate above 0 and below 1,000,000 with at most six decimals")
    return None


def _archive_dir(value: str) -> str | None:
    if value and not Path(value).expanduser().is_absolute():
        return _("must be an absolute path (or empty: beside the database file)")
    return None


VALIDATORS: dict[str, Callable[[Any], str | None]] = {
    "project.archive_dir": _archive_dir,
    "greetings.stages": _stages,
    "greetings.acquisition": _acquisition,
    "greetings.occasions": _occasions,
    "greetings.holidays": _holidays,
    "monthly_call.stages": _stages,
    "monthly_call.acquisition": _acquisition,
    "monthly_call.channels": _channels,
    "fines.greeting": _FINE,
    "fines.monthly_call": _FINE,
    "fines.campaign": _FINE,
    "classification.window_months": _MONTHS,
    "classification.grade_a_percent": _percent,
    "classification.grade_b_percent": _percent,
    "classification.tier_a": _tier,
    "classification.tier_b": _tier,
    "classification.tier_c": _tier,
    "classification.no_sales_tier": _tier,
    "classification.no_sales_stages": _stages,
    "classification.value_high_score": _score,
    "classification.value_mid_score": _score,
    "timezone": _timezone,
    "lang": _lang,
    "outreach.callback_days": _DAYS,
    "outreach.channels": _channels,
    "sla.clock": _clock,
    "sla.day_start": _clock_time,
    "sla.day_end": _clock_time,
    "sla.response_hours": _within(1, 8760, "hours"),
    "sla.resolution_days.general": _within(1, 365, "days"),
    "sla.resolution_days.important": _within(1, 365, "days"),
    "sla.resolution_days.major": _within(1, 365, "days"),
    "surveys.interval_months": _MONTHS,
    "surveys.stages": _stages,
    "currency.base": _currency_code,
    "calendar.alarm_minutes": _within(0, 40320, "minutes"),  # four weeks
    "calendar.all_day_alarm": _clock_time,
}
for _tier_name in TIER.values:
    VALIDATORS[f"cadence.{_tier_name}.days"] = _DAYS
    VALIDATORS[f"cadence.{_tier_name}.channels"] = _channels
    VALIDATORS[f"cadence.{_tier_name}.visit_days"] = _DAYS_OR_OFF
    VALIDATORS[f"cadence.{_tier_name}.visit_channels"] = _channels


def _cross_checks(tree: dict[str, Any]) -> str | None:
    """Rules that tie two settings together; each returns what is wrong, or None."""
    sla = tree["sla"]
    from datetime import time

    if time.fromisoformat(sla["day_start"]) >= time.fromisoformat(sla["day_end"]):
        return _("sla.day_start ({start}) must be before sla.day_end ({end})").format(
            start=sla["day_start"], end=sla["day_end"]
        )
    cls = tree["classification"]
    if cls["grade_a_percent"] >= cls["grade_b_percent"]:
        return _(
            "classification.grade_a_percent ({a}) must be below "
            "classification.grade_b_percent ({b})"
        ).format(a=cls["grade_a_percent"], b=cls["grade_b_percent"])
    if cls["value_mid_score"] > cls["value_high_score"]:
        return _(
            "classification.value_mid_score ({mid}) must not exceed "
            "classification.value_high_score ({high})"
        ).format(mid=cls["value_mid_score"], high=cls["value_high_score"])
    return None


def register(
    section: str,
    defaults: dict[str, Any],
    validators: dict[str, Callable[[Any], str | None]] | None = None,
) -> None:
    """Let a policy module add its own section of defaults and checks."""
    DEFAULTS[section] = defaults
    for key, check in (validators or {}).items():
        VALIDATORS[f"{section}.{key}"] = check


def config_path() -> Path:
    env = os.environ.get("CRM_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "crmcli" / "config.toml"


def make_private_dir(path: Path) -> None:
    """Create a folder and any missing parents 0700, as the XDG base-directory spec asks
    (``mkdir(parents=True)`` would make the parents 0777 less the umask); folders that
    exist are left as they are."""
    missing = []
    here = path
    while not here.exists():
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue


def cache_dir() -> Path:
    """Files crm can make again if they are lost (``$XDG_CACHE_HOME/crmcli``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crmcli"


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "crmcli" / "crm.db"


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return _("true or false")
    if isinstance(value, int):
        return _("a whole number")
    if isinstance(value, float):
        return _("a number")
    if isinstance(value, list):
        return _("a list")
    return _("text")


def _default_of(key: str) -> Any:
    """The default a key's value is typed and checked like; unknown keys are refused."""
    defaults = flatten(DEFAULTS)
    if key in defaults:
        return defaults[key]
    if _RATE_KEY.fullmatch(key):
        return _RATE_EXAMPLE
    if key.startswith("currency.rates."):
        raise InvalidInput(
            _(
                "unknown config key {key!r}: a rate is named by a currency code in capitals, e.g. currency.rates.USD"
            ).format(key=key)
        )
    raise InvalidInput(_("unknown config key {key!r}; see `crm config show`").format(key=key))


def _check(key: str, value: Any) -> None:
    expected = _default_of(key)
    ok = (
        isinstance(value, bool)
        if isinstance(expected, bool)
        else isinstance(value, (int, float)) and not isinstance(value, bool)
        if isinstance(expected, float)
        else isinstance(value, int) and not isinstance(value, bool)
        if isinstance(expected, int)
        else isinstance(value, list) and all(isinstance(v, str) for v in value)
        if isinstance(expected, list)
        else isinstance(value, str)
    )
    if not ok:
        raise InvalidInput(
            _("config {key} must be {expected}, not {value!r}").format(
                key=key, expected=_type_name(expected), value=value
            )
        )
    check = VALIDATORS.get(key) or (_rate if _RATE_KEY.fullmatch(key) else None)
    problem = check(value) if check else None
    if problem:
        raise InvalidInput(_("config {key} {problem}").format(key=key, problem=problem))


def parse_value(key: str, text: str) -> Any:
    """Read a value typed on the command line as the type its default has."""
    expected = _default_of(key)
    raw = text.strip()
    value: Any
    try:
        if isinstance(expected, bool):
            if raw.lower() not in ("true", "false", "yes", "no", "1", "0", "on", "off"):
                raise ValueError
            value = raw.lower() in ("true", "yes", "1", "on")
        elif isinstance(expected, int):
            value = int(raw)
        elif isinstance(expected, float):
            value = float(raw.rstrip("%"))  # the float settings are percentages
        elif isinstance(expected, list):
            value = [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]
        else:
            value = raw
    except ValueError:
        raise InvalidInput(
            _("config {key} must be {expected}, not {text!r}").format(
                key=key, expected=_type_name(expected), text=text
            )
        ) from None
    if key.endswith("channels"):
        value = [CHANNEL.parse(v) for v in value]
    _check(key, value)
    return value


@dataclass
class Config:
    path: Path
    user_tree: dict[str, Any] = field(default_factory=dict)

    _tree: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    _flat: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def tree(self) -> dict[str, Any]:
        """Defaults overlaid with the user's file; computed once, callers must not mutate."""
        if self._tree is None:
            merged = copy.deepcopy(DEFAULTS)
            _merge(merged, self.user_tree)
            self._tree = merged
        return self._tree

    def get(self, key: str) -> Any:
        if self._flat is None:
            self._flat = flatten(self.tree)
        if key in self._flat:
            return self._flat[key]
        if _RATE_KEY.fullmatch(key):
            return None  # no rate for that currency (yet)
        node: Any = self.tree
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise InvalidInput(
                    _("unknown config key {key!r}; see `crm config show`").format(key=key)
                )
            node = node[part]
        return node

    def set(self, key: str, value: Any) -> None:
        _check(key, value)
        candidate = copy.deepcopy(self.user_tree)
        node = candidate
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        merged = copy.deepcopy(DEFAULTS)
        _merge(merged, candidate)
        problem = _cross_checks(merged)
        if problem:
            raise InvalidInput(problem)
        self.user_tree = candidate
        self._tree = self._flat = None

    def save(self) -> None:
        """Written whole under a temporary name, synced, renamed: created 0600 (it names
        the database and the user) in a folder made 0700, whatever the umask."""
        import tomli_w

        make_private_dir(self.path.parent)
        tmp = self.path.with_suffix(".toml.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(tomli_w.dumps(self.user_tree))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o600)  # an older, wider leftover of the same name
            tmp.replace(self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def policy_fingerprint(self, *sections: str) -> str:
        tree = self.tree
        data = {s: tree.get(s) for s in sections}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def timezone(self) -> str:
        return str(self.get("timezone"))

    def acting_user(self) -> str:
        user = os.environ.get("CRM_USER") or self.get("user")
        if user:
            return str(user)
        import getpass

        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def load(path: Path | None = None) -> Config:
    path = path or config_path()
    if not path.exists():
        return Config(path)
    try:
        user_tree = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            _("config file {path} is not valid TOML: {exc}").format(path=path, exc=exc)
        ) from None
    except OSError as exc:
        raise InvalidInput(
            _("cannot read config file {path}: {strerror}").format(path=path, strerror=exc.strerror)
        ) from None
    for key, value in flatten(user_tree).items():
        try:
            _check(key, value)
        except InvalidInput as exc:
            raise InvalidInput(
                _("{message} (in {path})").format(message=exc.message, path=path)
            ) from None
    loaded = Config(path, user_tree)
    problem = _cross_checks(loaded.tree)
    if problem:
        raise InvalidInput(_("{problem} (in {path})").format(problem=problem, path=path))
    return loaded
