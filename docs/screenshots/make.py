"""Refresh the screenshots in docs/screenshots (shown in the README's Screenshots section).

Runs the every-page browser test (tests/test_browser_pages.py), which photographs the main pages into
tests/screenshots/, then copies the chosen ones here, cut to at most MAX_HEIGHT pixels tall:

    .venv/bin/python docs/screenshots/make.py

Needs what the browser tests need: Debian's chromium and axe-core (`npm ci`).
"""
import subprocess
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TAKEN = ROOT / "tests" / "screenshots"
MAX_HEIGHT = 2200

# tests/screenshots/<name> -> docs/screenshots/<name>
CHOSEN = {
    "dashboard-1280.png": "dashboard.png",
    "insights-1280.png": "insights-1280.png",
    "request-1280.png": "request.png",
    "campaign-1280.png": "campaign.png",
    "search-1280.png": "search.png",
    "request-mobile-390.png": "request-mobile-390.png",
    "insights-390.png": "insights-mobile-390.png",
}


def take() -> None:
    command = [sys.executable, "-m", "pytest", "tests/test_browser_pages.py", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode not in (0,):
        sys.exit(f"The browser test failed (exit {result.returncode}); screenshots not copied.")


def copy() -> list[Path]:
    written = []
    for source, target in CHOSEN.items():
        path = TAKEN / source
        if not path.exists():
            sys.exit(f"{path} was not taken: is {source} in SCREENSHOTS of tests/test_browser_pages.py?")
        with Image.open(path) as image:
            if image.height > MAX_HEIGHT:
                image = image.crop((0, 0, image.width, MAX_HEIGHT))
            image.save(HERE / target, optimize=True)
        written.append(HERE / target)
    return written


if __name__ == "__main__":
    if "--copy-only" not in sys.argv:
        take()
    for path in copy():
        print(path.relative_to(ROOT))
