"""Dashboard JSON (大屏): /api/v1/dashboard/…, each call one panel, for a region in scope."""

from ninja import Router

from hotline.dbrouter import stale_reads
from hotline.errors import Forbidden, NotFound
from hotline.orgs.models import Region
from hotline.tickets.schemas import ErrorOut

from . import dashboard
from .access import may_read, report_regions

router = Router(tags=["大屏 dashboard"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def region_for(user, code: str | None) -> Region:
    """The region asked for, if the user may read it; without a code, the user's widest."""
    regions = report_regions(user)
    if not regions:
        raise Forbidden("只有热线中心人员、效能督查和分析员可以查看大屏",
                        "the dashboard is for hotline center staff, supervisors and analysts")  # fmt: skip
    if not code:
        return regions[0]
    region = Region.objects.filter(code=code).first()
    if region is None or not may_read(user, region):
        raise NotFound("区划不存在或不在权限范围内", f"no region {code} in your scope",
                       field="region")  # fmt: skip
    return region


@router.get("/dashboard/today", response={200: dict, **ERRORS})
@stale_reads()
def today(request, region: str | None = None):
    r = region_for(request.auth, region)
    return {"region": r.code, "region_name": r.name, **dashboard.today(r)}


@router.get("/dashboard/top", response={200: dict, **ERRORS})
@stale_reads()
def top(request, region: str | None = None):
    r = region_for(request.auth, region)
    return {"region": r.code, **dashboard.top(r)}


@router.get("/dashboard/satisfaction", response={200: dict, **ERRORS})
@stale_reads()
def satisfaction(request, region: str | None = None):
    r = region_for(request.auth, region)
    return {"region": r.code, **dashboard.satisfaction(r)}


@router.get("/dashboard/warnings", response={200: dict, **ERRORS})
@stale_reads()
def warnings(request, region: str | None = None):
    r = region_for(request.auth, region)
    return {"region": r.code, **dashboard.warnings(r, request.auth)}
