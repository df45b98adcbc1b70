"""Where every benchmark records its figures: bench/results.json, one key per benchmark."""
import json
import os
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


def record(key: str, figures: dict) -> None:
    """Merge one benchmark's figures into results.json (read, modify, atomic replace)."""
    try:
        data = json.loads(RESULTS.read_text())
    except (FileNotFoundError, ValueError):
        data = {}
    data[key] = figures
    tmp = RESULTS.with_suffix(f".json.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, RESULTS)
