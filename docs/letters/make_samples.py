"""Render the sample letters shown in this folder, as PDF pages and as LibreOffice renders the DOCX.

Run from the repository: .venv/bin/python docs/letters/make_samples.py
Needs pdftoppm (poppler-utils) and, for the DOCX column, LibreOffice (soffice) on the PATH.
"""
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from foia import agencies, clock, letters, requests  # noqa: E402
from foia import db as db_module  # noqa: E402
from foia.letters import pdf as letters_pdf  # noqa: E402
from foia.web.app import create_app  # noqa: E402

DAY = dt.date(2026, 9, 15)
REQUESTER = {"name": "Jane Doe", "organization": "Springfield Watch", "address": "1 Press Row\nPhiladelphia, PA 19103",
             "email": "jane@example.org", "phone": "215-555-0100", "residence": "PA"}
# Appeals of a denial: Pennsylvania to the Office of Open Records, Illinois a Request for Review to
# the Public Access Counselor, Texas the presumption and the complaint (no appeal exists there).
DENIALS = {
    "PA": {"reason": "The records are exempt as records of a noncriminal investigation.",
           "exemptions": ["65 P.S. § 67.708(b)(17)"]},
    "IL": {"reason": "Compliance would be unduly burdensome.", "exemptions": ["5 ILCS 140/3(g)"]},
    "TX": {"reason": "The information is excepted from disclosure.", "exemptions": ["§ 552.108"]},
}
AGENCIES = {
    "CA": ("El Monte Police Department", "11333 Valley Blvd\nEl Monte, CA 91731", "records@elmonteca.gov"),
    "TX": ("Houston Police Department", "1200 Travis St\nHouston, TX 77002", "pia@houstonpolice.org"),
    "NY": ("New York City Police Department", "1 Police Plaza\nNew York, NY 10038", "foil@nypd.org"),
    "PA": ("Philadelphia Police Department", "400 N Broad St\nPhiladelphia, PA 19130", "righttoknow@phila.gov"),
    "IL": ("Chicago Police Department", "3510 S Michigan Ave\nChicago, IL 60653", "foia@chicagopolice.org"),
    "US": ("Federal Bureau of Investigation", "200 Constitution Dr\nWinchester, VA 22602", "foiparequest@fbi.gov"),
}


def page_images(pdf: Path, work: Path, res: int, last: int) -> list:
    prefix = work / f"{pdf.stem}-{pdf.parent.name}"
    subprocess.run(["pdftoppm", "-r", str(res), "-l", str(last), "-png", str(pdf), str(prefix)], check=True)
    return [Image.open(p) for p in sorted(work.glob(prefix.name + "-*.png"))]


def strip(images: list, label: str) -> Image.Image:
    width = sum(i.width for i in images) + 8 * (len(images) - 1)
    out = Image.new("RGB", (width, max(i.height for i in images) + 18), "#bbb")
    ImageDraw.Draw(out).text((4, 2), label, fill="black")
    x = 0
    for image in images:
        out.paste(image, (x, 18))
        x += image.width + 8
    return out


def save(rows: list, target: Path) -> None:
    out = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows) + 8 * (len(rows) - 1)), "#bbb")
    y = 0
    for row in rows:
        out.paste(row, (0, y))
        y += row.height + 8
    out.convert("P", palette=Image.ADAPTIVE, colors=64).save(target, optimize=True)
    print(target.relative_to(HERE.parent.parent), out.size)


def main():
    clock.set_now("2026-09-15T10:00:00")
    soffice = shutil.which("soffice")
    with tempfile.TemporaryDirectory(prefix="foia-letter-samples-") as tmp:
        work = Path(tmp)
        (work / "instance").mkdir()
        app = create_app({"INSTANCE_PATH": str(work / "instance"), "TESTING": True})
        db = db_module.connect(app.config["DATABASE"])
        letters.save_requester(db, REQUESTER)
        made = {}
        for state, (name, address, email) in AGENCIES.items():
            agency_id, _ = agencies.upsert(db, {"name": name, "state": state, "kind": "police",
                                                "mailing_address": address, "records_email": email})
            title = "Flock and Axon integration records" if state == "CA" else "Ring partnership records"
            request_id = requests.create_request(db, agency_id=agency_id, title=title, tracking_number="2026-0417",
                                                 filed_on="2026-06-01")
            made[f"{state.lower()}-request"] = letters.render(db, request_id, today=DAY)
            if state == "NY":
                requests.add_event(db, request_id, "acknowledged", "2026-06-05", data={"estimated_date": "2026-08-01"})
                requests.add_event(db, request_id, "partial_release", "2026-07-15", data={"pages": 40})
                requests.add_event(db, request_id, "extension_claimed", "2026-07-28", data={
                    "days": 20, "day_type": "business", "new_due_on": "2026-08-25",
                    "reason": "The records are held by several units."})
                made["ny-follow-up"] = letters.render(db, request_id, "follow-up", today=DAY)
                requests.add_event(db, request_id, "denied", "2026-08-20", data={
                    "exemptions": ["§ 87(2)(e)", "§ 87(2)(f)"],
                    "reason": "The records would reveal criminal investigative techniques."})
                made["ny-appeal"] = letters.render(db, request_id, "appeal", today=DAY)
            if state in DENIALS:
                requests.add_event(db, request_id, "denied", "2026-09-01", data=DENIALS[state])
                made[f"{state.lower()}-appeal"] = letters.render(db, request_id, "appeal", today=DAY)
        for stem, letter in made.items():
            pdf, docx_path = work / "pdf" / f"{stem}.pdf", work / "docx" / f"{stem}.docx"
            pdf.parent.mkdir(exist_ok=True)
            docx_path.parent.mkdir(exist_ok=True)
            pdf.write_bytes(letters_pdf.to_pdf(letters.to_html(letter)))
            docx_path.write_bytes(letters.to_docx(letter))
            last = 99 if stem == "ca-request" or stem.endswith("-appeal") else 1
            res = 40 if stem == "ca-request" else 50
            rows = [strip(page_images(pdf, work, res, last), f"{stem}: PDF (WeasyPrint)")]
            if soffice and (stem.endswith("-request") or stem in ("pa-appeal", "il-appeal", "tx-appeal")):
                env = {**os.environ, "HOME": str(work)}
                subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(work / "lo"),
                                str(docx_path)], check=True, capture_output=True, env=env)
                rows.append(strip(page_images(work / "lo" / f"{stem}.pdf", work, res, last),
                                  f"{stem}: the DOCX in LibreOffice"))
            save(rows, HERE / f"{stem}.png")
        db.conn.close()


if __name__ == "__main__":
    main()
