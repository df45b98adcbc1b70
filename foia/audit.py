"""The audit log: who changed what, and when."""
import json

from . import clock


def record(db, action: str, *, user_id=None, object_type: str = "", object_id="", detail=None, ip: str = "") -> None:
    db["audit_log"].insert(
        {
            "at": clock.stamp(),
            "user_id": user_id,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "detail": json.dumps(detail or {}, sort_keys=True),
            "ip": ip or "",
        }
    )
