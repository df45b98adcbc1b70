"""Settings for deadlines and reminders: the instance's values (configuration, then the settings
page) and the per-law rules the law table does not carry (``foia/data/law-settings.csv``)."""
import csv
import dataclasses
from collections.abc import Mapping
from pathlib import Path

from .. import laws
from ..config import DEFAULTS
from ..db import transaction
from ..errors import Invalid, check

LAW_SETTINGS_CSV = Path(__file__).resolve().parent.parent / "data" / "law-settings.csv"


@dataclasses.dataclass(frozen=True)
class LawSettings:
    """Per-law rules that the law table does not carry (see ``foia/data/law-settings.csv``)."""
    jurisdiction: str
    clarification_restarts_period: bool = False
    appeal_days: int | None = None
    appeal_day_type: str = "calendar"
    source: str = ""


def read_law_settings(path: Path = LAW_SETTINGS_CSV) -> dict[str, LawSettings]:
    """The per-law settings, validated (a bad row raises ValueError naming its line)."""
    result: dict[str, LawSettings] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for row in reader:
            where = f"{path.name} line {reader.line_num}"
            code = (row.get("jurisdiction") or "").strip()
            if code not in laws.NAMES:
                raise ValueError(f"{where}: unknown jurisdiction {code!r}")
            if code in result:
                raise ValueError(f"{where}: jurisdiction {code} appears twice")
            restarts = (row.get("clarification_restarts_period") or "0").strip()
            if restarts not in ("0", "1"):
                raise ValueError(f"{where}: clarification_restarts_period must be 0 or 1")
            days_text = (row.get("appeal_days") or "").strip()
            day_type = (row.get("appeal_day_type") or "").strip() or "calendar"
            if day_type not in ("business", "calendar"):
                raise ValueError(f"{where}: appeal_day_type {day_type!r} is not business or calendar")
            try:
                days = int(days_text) if days_text else None
            except ValueError:
                raise ValueError(f"{where}: appeal_days {days_text!r} is not a whole number") from None
            if days is not None and not 0 < days <= 365:
                raise ValueError(f"{where}: appeal_days {days} is out of range (1-365)")
            result[code] = LawSettings(code, restarts == "1", days, day_type, (row.get("source") or "").strip())
    return result


_law_settings: dict[str, LawSettings] | None = None


def law_settings(jurisdiction: str) -> LawSettings:
    global _law_settings
    if _law_settings is None:
        _law_settings = read_law_settings()
    found = _law_settings.get(jurisdiction)
    if found is None:
        found = _law_settings[jurisdiction] = LawSettings(jurisdiction)
    return found


# Each setting: field -> (configuration key, settings-table key, (lowest, highest) for numbers).
# The defaults are the configuration's (foia.config.DEFAULTS), the one place they live.
SETTINGS_TABLE = {
    "follow_up_business_days": ("FOLLOW_UP_BUSINESS_DAYS", "deadlines.follow_up_business_days", (1, 120)),
    "due_soon_business_days": ("REMINDER_DUE_SOON_DAYS", "reminders.due_soon_business_days", (0, 30)),
    "follow_up_every_days": ("REMINDER_FOLLOW_UP_EVERY_DAYS", "reminders.follow_up_every_days", (1, 90)),
    "follow_up_horizon": ("REMINDER_FOLLOW_UP_HORIZON", "reminders.follow_up_horizon", (1, 20)),
    "appeal_default_days": ("APPEAL_DEFAULT_DAYS", "deadlines.appeal_default_days", (1, 365)),
    "appeal_warning_days": ("REMINDER_APPEAL_WARNING_DAYS", "reminders.appeal_warning_days", (0, 90)),
    "reminder_hour": ("REMINDER_HOUR", "reminders.hour", (0, 23)),
    "digest": ("REMINDER_DIGEST", "reminders.digest", None),
    "group_email": ("REMINDER_EMAIL", "reminders.group_email", None),
    "max_attempts": ("REMINDER_MAX_ATTEMPTS", "reminders.max_attempts", (1, 100)),
}
# field -> (config key, settings-table key)
SETTING_KEYS = {name: (config_key, table_key) for name, (config_key, table_key, _) in SETTINGS_TABLE.items()}
SETTING_LIMITS = {name: limits for name, (_, _, limits) in SETTINGS_TABLE.items() if limits}


def _default(name: str):
    return DEFAULTS[SETTING_KEYS[name][0]]


@dataclasses.dataclass(frozen=True)
class Settings:
    """Instance settings for deadlines and reminders (configuration, then the ``settings`` table);
    the defaults are the configuration's."""
    follow_up_business_days: int = _default("follow_up_business_days")  # laws with no fixed period
    due_soon_business_days: int = _default("due_soon_business_days")  # "response due soon", days before
    follow_up_every_days: int = _default("follow_up_every_days")  # follow-up reminders while overdue
    follow_up_horizon: int = _default("follow_up_horizon")  # follow-ups planned ahead (the daily sweep plans on)
    appeal_default_days: int = _default("appeal_default_days")  # appeal window where the law gives none
    appeal_warning_days: int = _default("appeal_warning_days")  # "appeal window closing", days before
    reminder_hour: int = _default("reminder_hour")  # local hour reminders fall due
    digest: bool = _default("digest")  # one e-mail per recipient per dispatch instead of one per reminder
    group_email: str = _default("group_email")  # recipient of requests that have no owner
    max_attempts: int = _default("max_attempts")  # e-mail delivery attempts before a reminder is marked failed


LABELS = {
    "follow_up_business_days": "Follow-up period", "due_soon_business_days": "Due-soon warning",
    "follow_up_every_days": "Follow-up interval", "follow_up_horizon": "Follow-ups planned ahead",
    "appeal_default_days": "Default appeal window", "appeal_warning_days": "Appeal warning",
    "reminder_hour": "Reminder hour", "digest": "Daily digest", "group_email": "Group e-mail",
    "max_attempts": "Delivery attempts",
}


def _cast(name: str, value):
    default = _default(name)
    if isinstance(default, bool):
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if isinstance(default, int):
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Invalid(name, f"{LABELS[name]}: enter a whole number.") from None
        low, high = SETTING_LIMITS[name]
        if not low <= number <= high:
            raise Invalid(name, f"{LABELS[name]}: {number} is out of range ({low}-{high}).")
        return number
    return str(value).strip()


def load_settings(db=None, config: Mapping | None = None) -> Settings:
    """The defaults, overridden by ``config`` (the instance's configuration; None: defaults only),
    then by the values saved in the ``settings`` table (the settings page)."""
    config = config or {}
    values = {}
    for name, (config_key, table_key) in SETTING_KEYS.items():
        raw = config.get(config_key)
        if raw not in (None, ""):
            values[name] = _cast(name, raw)
    if db is not None:
        keys = [k for _, k in SETTING_KEYS.values()]
        stored = {r["key"]: r["value"] for r in db.query(
            f"SELECT key, value FROM settings WHERE key IN ({','.join('?' * len(keys))})", keys)}
        for name, (_, table_key) in SETTING_KEYS.items():
            if table_key in stored:
                try:
                    values[name] = _cast(name, stored[table_key])
                except ValueError:
                    pass  # a bad stored value falls back to the default
    return Settings(**values)


def save_settings(db, values: dict, config: Mapping | None = None) -> Settings:
    """Validate and store settings from the settings page (every bad value reported at once, as
    :class:`foia.errors.Invalid`); returns the settings now in force. The caller recomputes
    (:func:`foia.recompute.settings_saved`)."""
    cleaned, problems = {}, {}
    for name, raw in values.items():
        if name not in SETTING_KEYS:
            problems[name] = f"There is no setting called {name!r}."
            continue
        try:
            cleaned[name] = _cast(name, raw)
        except Invalid as e:
            problems[name] = str(e)
    if cleaned.get("group_email") and "@" not in cleaned["group_email"]:
        problems["group_email"] = f"Group e-mail: “{cleaned['group_email']}” is not an e-mail address."
    check(problems)
    with transaction(db):
        for name, value in cleaned.items():
            store_setting(db, SETTING_KEYS[name][1], ("1" if value else "0") if isinstance(value, bool) else str(value))
    return load_settings(db, config)


def store_setting(db, key: str, value: str) -> None:
    """Write one row of the ``settings`` table (inside the caller's transaction)."""
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value])

