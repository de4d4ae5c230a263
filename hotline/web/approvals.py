"""The unit leader's approvals (分管领导审批): what the unit's handlers submitted and wait on."""

from django.shortcuts import render

from hotline.orgs.models import Role
from hotline.tickets import lifecycle

from .common import role_required


@role_required(Role.LEADER)
def approvals(request):
    units = [m.unit for m in request.role_memberships]
    rows = lifecycle.waiting_for([u.pk for u in units]).select_related(
        "ticket", "unit", "submitted_by"
    )[:200]
    return render(request, "web/approvals.html", {"units": units, "rows": rows})
