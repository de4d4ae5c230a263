"""Import jobs: the uploaded file, its options, and the background task that checks or imports.

The task runs in a worker (django-tasks, database backend: `hotline db_worker`) and writes
its progress into the ImportJob row after every batch, which the page polls.
"""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from hotline.catalog.models import Category
from hotline.exchange import imports
from hotline.exchange.models import ImportJob, ImportState
from hotline.orgs.models import Region

log = logging.getLogger("hotline.imports")
UPLOAD_DIR = Path(settings.VAR_DIR) / "imports"


def store_upload(upload) -> Path:
    """Save an uploaded file under var/imports with a name nobody can guess or collide with."""
    suffix = Path(upload.name).suffix.lower()
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    path = UPLOAD_DIR / f"{uuid.uuid4().hex}{suffix}"
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def options_of(job: ImportJob) -> imports.Options:
    o = job.options
    region = Region.objects.filter(code=o["region"]).first() if o.get("region") else None
    category = Category.objects.filter(pk=o["category"]).first() if o.get("category") else None
    return imports.Options(
        center=job.center,
        by=job.created_by,
        source=job.source,
        channel=o.get("channel") or imports.Channel.WEB,
        region=region,
        category=category,
        appeal_type=o.get("appeal_type") or imports.AppealType.HELP,
    )


def execute(job_id: int, dry_run: bool) -> ImportJob:
    """Check (dry run) or import the job's file, recording progress and the result."""
    job = ImportJob.objects.select_related("center__region", "created_by").get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.CHECKING if dry_run else ImportState.RUNNING, done=0, message=""
    )

    def progress(done, total):
        ImportJob.objects.filter(pk=job.pk).update(done=done, total=total)

    try:
        table = imports.read_table(job.path)
        report = imports.run(
            table, job.mapping, options_of(job), dry_run=dry_run, progress=progress
        )
    except Exception as exc:  # recorded on the job for the page; the worker goes on
        log.exception("import job %s failed", job.pk)
        message = getattr(exc, "message_zh", "") or f"导入失败：{exc}"
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportState.FAILED, message=message, finished_at=timezone.now()
        )
        return ImportJob.objects.get(pk=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportState.CHECKED if dry_run else ImportState.DONE,
        total=report.total,
        done=report.total,
        created_count=report.created,
        skipped_count=report.skipped,
        error_count=report.error_count,
        errors=report.errors,
        finished_at=timezone.now(),
    )
    return ImportJob.objects.get(pk=job.pk)


@task()
def import_task(job_id: int, dry_run: bool) -> None:
    execute(job_id, dry_run)


def start(job: ImportJob, *, dry_run: bool) -> None:
    """Mark the job busy and queue its task once this transaction commits."""
    job.state = ImportState.CHECKING if dry_run else ImportState.RUNNING
    job.done = 0
    job.save(update_fields=["state", "done"])
    transaction.on_commit(lambda: import_task.enqueue(job.pk, dry_run))
