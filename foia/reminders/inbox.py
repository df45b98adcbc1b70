"""The in-app inbox: each user's reminder notifications, unread counts, marking them read."""
from .. import clock
from ..db import transaction


def unread_count(db, user_id) -> int:
    if not user_id:
        return 0
    return db.execute("SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
                      [user_id]).fetchone()[0]


def inbox(db, user_id, *, unread_only=False, limit=100, offset=0) -> list[dict]:
    clause = "AND n.read_at IS NULL" if unread_only else ""
    return list(db.query(
        f"""SELECT n.*, r.title FROM notifications n LEFT JOIN requests r ON r.id = n.request_id
            WHERE n.user_id = ? {clause} ORDER BY n.id DESC LIMIT ? OFFSET ?""", [user_id, limit, offset]))


def mark_read(db, user_id, notification_id=None, now=None) -> int:
    """Mark one notification (or all, with ``notification_id`` None) of a user as read."""
    stamp = (now or clock.now()).isoformat(timespec="seconds")
    with transaction(db):
        if notification_id is None:
            cursor = db.execute("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
                                [stamp, user_id])
        else:
            cursor = db.execute("UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? "
                                "AND read_at IS NULL", [stamp, notification_id, user_id])
    return cursor.rowcount
