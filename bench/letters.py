"""Benchmark: a 500-agency campaign (PDF and DOCX) against raw WeasyPrint and LibreOffice.

Prints the figures and merges them into bench/results.json under "letters":
- campaign: agencies, seconds, PDF letters per second, all letters (PDF + DOCX) per second;
- weasyprint_raw: the same letters' HTML rendered to PDF with plain WeasyPrint in 2 processes
  (the floor the campaign's PDF rate is compared with);
- libreoffice: DOCX -> PDF with `soffice --headless --convert-to pdf`, if installed.

Run: .venv/bin/python bench/letters.py [--agencies 500]
"""
import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import record  # noqa: E402
from foia import agencies, campaigns, clock, laws, letters  # noqa: E402
from foia import db as db_module  # noqa: E402
from foia.filestore import LocalStore  # noqa: E402



def _raw_pdf(html):
    from weasyprint import HTML

    return len(HTML(string=html, base_url=str(letters.DEFAULT_TEMPLATES) + "/").write_pdf())


def raw_weasyprint_rate(htmls, processes=2) -> dict:
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        sizes = pool.map(_raw_pdf, htmls, chunksize=4)
    seconds = time.perf_counter() - start
    return {"letters": len(sizes), "processes": processes, "seconds": round(seconds, 2),
            "pdf_per_second": round(len(sizes) / seconds, 2)}


def libreoffice_rate(docx_paths, work: Path) -> dict | None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return None
    env = {**os.environ, "HOME": str(work)}
    out = work / "lo"
    out.mkdir()
    # Warm-up: LibreOffice's first start builds its profile.
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(docx_paths[0])],
                   check=True, capture_output=True, env=env)
    # Its best case: one process converting the whole batch.
    start = time.perf_counter()
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), *map(str, docx_paths)],
                   check=True, capture_output=True, env=env)
    seconds = time.perf_counter() - start
    # One letter at a time, as a person or a simple script converts them.
    single = docx_paths[:10]
    start = time.perf_counter()
    for path in single:
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(path)],
                       check=True, capture_output=True, env=env)
    single_seconds = time.perf_counter() - start
    return {"letters": len(docx_paths), "seconds": round(seconds, 2),
            "pdf_per_second": round(len(docx_paths) / seconds, 2),
            "one_at_a_time_pdf_per_second": round(len(single) / single_seconds, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=500)
    parser.add_argument("--lo-sample", type=int, default=40, help="DOCX letters LibreOffice converts")
    parser.add_argument("--dry-run", action="store_true", help="print the figures, leave results.json alone")
    args = parser.parse_args()
    clock.set_now("2026-09-15T10:00:00")
    work = Path(tempfile.mkdtemp(prefix="foia-bench-letters-"))
    try:
        db = db_module.connect(str(work / "foia.db"))
        db_module.migrate(db)
        laws.load_into(db)
        letters.save_requester(db, {"name": "Jane Doe", "organization": "Springfield Watch",
                                    "address": "1 Press Row\nPhiladelphia, PA 19103", "email": "jane@example.org",
                                    "phone": "215-555-0100"})
        states = sorted(laws.NAMES)
        for i in range(args.agencies):
            agencies.upsert(db, {"name": f"Town {i} Police Department", "state": states[i % len(states)],
                                 "kind": "police", "mailing_address": f"{i} Main Street\nTown {i}",
                                 "records_email": f"records{i}@town{i}.example.gov"})
        campaign_id = campaigns.create(db, name="Ring partnership records", template="ring-partnership",
                                       states=states, options={"date_from": "2018-01-01"})
        store = LocalStore(work / "files")  # the one file store letters share with documents
        start = time.perf_counter()
        result = campaigns.run(db, campaign_id, files=store)
        seconds = time.perf_counter() - start
        assert result["done"] == args.agencies and not result["errors"], result
        pdf_rows = campaigns.campaign_letters(db, campaign_id, "pdf")
        docx_rows = campaigns.campaign_letters(db, campaign_id, "docx")
        campaign = {
            "agencies": args.agencies, "workers": os.cpu_count(), "seconds": round(seconds, 2),
            "pdf_per_second": round(len(pdf_rows) / seconds, 2),
            "letters_per_second": round((len(pdf_rows) + len(docx_rows)) / seconds, 2),
        }
        print(f"campaign: {args.agencies} agencies, {len(pdf_rows)} PDF + {len(docx_rows)} DOCX in {seconds:.1f} s: "
              f"{campaign['pdf_per_second']} PDF/s, {campaign['letters_per_second']} letters/s")

        # The same letters' HTML, with the stylesheet linked the ordinary way.
        css = (letters.DEFAULT_TEMPLATES / "letter.css").as_uri()
        request_ids = [r["request_id"] for r in pdf_rows]
        htmls = [letters.to_html(letters.render(db, rid, today=clock.today()), css_href=css) for rid in request_ids]
        raw = raw_weasyprint_rate(htmls)
        print(f"raw WeasyPrint, 2 processes: {raw['pdf_per_second']} PDF/s ({raw['seconds']} s)")
        named = work / "docx"  # LibreOffice names its output after the input: give each a .docx name
        named.mkdir()
        for row in docx_rows[:args.lo_sample]:
            shutil.copyfile(letters.file_path(row, store), named / letters.download_name(db, row))
        lo = libreoffice_rate(sorted(named.glob("*.docx")), work)
        print(f"LibreOffice DOCX->PDF: {lo['pdf_per_second']} PDF/s in one batch, "
              f"{lo['one_at_a_time_pdf_per_second']} PDF/s one at a time" if lo else "LibreOffice: soffice not installed")

        figures = {
            "campaign": campaign,
            "weasyprint_raw": raw,
            "libreoffice": lo,
            "campaign_vs_raw": round(campaign["pdf_per_second"] / raw["pdf_per_second"], 3),
            "campaign_vs_libreoffice_batch": round(campaign["pdf_per_second"] / lo["pdf_per_second"], 2) if lo else None,
            "campaign_vs_libreoffice_one_at_a_time": (
                round(campaign["pdf_per_second"] / lo["one_at_a_time_pdf_per_second"], 2) if lo else None),
            "pages_per_letter": len(__import__("pypdf").PdfReader(letters.file_path(pdf_rows[0], store)).pages),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        print(f"campaign / raw = {figures['campaign_vs_raw']} (target >= 0.9)")
        if not args.dry_run:
            record("letters", figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
