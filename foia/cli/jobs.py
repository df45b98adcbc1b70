"""Background job commands: jobs list, show, run-once, retry, cancel."""
import click

from .. import jobs, scheduler  # noqa: F401 (scheduler imports the modules that register job handlers)
from ..formats import plural
from . import echo_json, main, open_db, pass_instance


@main.group("jobs")
def jobs_group():
    """Background jobs (campaign letters, bulk recomputes, OCR) and their runner."""


def _line(job: dict) -> str:
    progress = f"{job['progress_done']}/{job['progress_total']}" if job["progress_total"] is not None else "-"
    error = f"  {job['error'].splitlines()[0]}" if job["error"] else ""
    retry = f" (next try {job['run_after']})" if job["state"] == "queued" and job["attempts"] else ""
    return (f"{job['id']:5} {job['kind']:20} {job['state']:9} {progress:>9} "
            f"attempt {job['attempts']}/{job['max_attempts']}  {job['created_at']}{retry}{error}")


@jobs_group.command("list")
@click.option("--state", type=click.Choice(jobs.STATES), default=None, help="Only jobs in this state.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="How many, newest first.")
def jobs_list(state, limit):
    """List recent jobs, newest first: state, progress, attempts and the last error."""
    rows = jobs.listing(open_db(), state=state, limit=limit)
    for job in rows:
        click.echo(_line(job))
    if not rows:
        click.echo("No jobs.")


@jobs_group.command("show")
@click.argument("job_id", type=int)
def jobs_show(job_id):
    """Print job JOB_ID as JSON, with its full last error."""
    echo_json(jobs.get(open_db(), job_id))


@jobs_group.command("run-once")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="Run at most this many jobs.")
@pass_instance
def jobs_run_once(instance, limit):
    """Run the jobs that are due now (and those whose runner died), one after another, then stop."""
    outcomes = jobs.run_once(instance, limit=limit, db=open_db())
    for outcome in outcomes:
        click.echo(outcome.summary())
    click.echo(f"{plural(len(outcomes), 'job')} run.")
    if any(o.state in ("queued", "failed") for o in outcomes):
        raise SystemExit(1)


@jobs_group.command("retry")
@click.argument("job_id", type=int)
def jobs_retry(job_id):
    """Queue failed or cancelled job JOB_ID again (or run a job waiting out its backoff sooner)."""
    jobs.retry(open_db(), job_id)
    click.echo(f"Job {job_id} is queued; the scheduler (or `foia jobs run-once`) will run it.")


@jobs_group.command("cancel")
@click.argument("job_id", type=int)
def jobs_cancel(job_id):
    """Cancel queued or running job JOB_ID (a running one stops at its next progress report)."""
    jobs.cancel(open_db(), job_id)
    click.echo(f"Job {job_id} is cancelled.")
