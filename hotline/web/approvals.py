"""The unit leader's approvals (分管领导审批): what the unit's handlers submitted and wait on."""

from django.shortcuts import render

from hotline.orgs.models import Role
from hotline.tickets.api_actions import pending_approvals

from .common import role_required


@role_required(Role.LEADER)
def approvals(request):
    units = [m.unit for m in request.role_memberships]
    rows = pending_approvals(request.user)
    return render(request, "web/approvals.html", {"units": units, "rows": rows})
