"""Checks every browser test can run on the page it is on: nothing wider than the screen at a phone's
and a laptop's width, and no serious or critical accessibility violation found by axe-core.

axe-core comes from npm (``package.json``; ``make test`` installs it into ``node_modules``). The browser
context must be made with ``bypass_csp=True`` for the script to be injected, since the app's
Content-Security-Policy rightly refuses inline scripts.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "screenshots"  # git-ignored; a few are copied to docs/screenshots
WIDTHS = (390, 1280)

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
}"""


def overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def prepare(context) -> None:
    """Load axe-core into every page the browser context opens (once per context, instead of
    sending the script to each page): :func:`axe_violations` then finds it there."""
    if not AXE.exists():
        raise AssertionError(f"axe-core is missing at {AXE}: run `npm ci` (make test does)")
    context.add_init_script(path=str(AXE))


def axe_violations(page) -> list[str]:
    if not AXE.exists():
        raise AssertionError(f"axe-core is missing at {AXE}: run `npm install` (make test does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(_RUN_AXE)


def problems(page, *, widths=WIDTHS, axe: bool = True, screenshot: str | None = None) -> list[str]:
    """Everything wrong with the page now open, at each width (the window is resized, the page
    reloaded only by the caller). Restores the first width's size afterwards is not promised."""
    found = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        # Let layout settle after the resize: wait for the next frame (no fixed sleep).
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        extra = overflow(page)
        if extra:
            wide = page.evaluate("""(w) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 1 && (!e.closest('.scroll, .table-scroll, pre, table') || getComputedStyle(e).position === 'absolute'))
                .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''))""",
                                 width)
            found.append(f"{page.url} is {extra} px wider than a {width} px window (widest: {', '.join(wide)})")
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{screenshot}-{width}.png"), full_page=True)
    if axe:
        found.extend(f"{page.url}: {v}" for v in axe_violations(page))
    return found


def check(page, **kwargs) -> None:
    """Assert the open page fits both widths and passes axe-core (serious and critical rules)."""
    found = problems(page, **kwargs)
    assert not found, "\n".join(found)
