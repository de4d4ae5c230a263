"""`hotline check-chain`: verify the hash chain of every ticket's history (rule 5)."""

from django.core.management.base import BaseCommand, CommandError

from hotline.tickets import history
from hotline.tickets.models import Ticket


class Command(BaseCommand):
    help = "Verify the hash-chained history of every ticket (or of --number)."

    def add_arguments(self, parser):
        parser.add_argument("--number", help="only this ticket")

    def handle(self, *args, number=None, **options):
        tickets = Ticket.objects.order_by("pk")
        if number:
            tickets = tickets.filter(number=number)
        checked, broken = 0, []
        for report in history.verify_all(tickets):
            checked += 1
            if not report.ok:
                broken.append(report)
                self.stderr.write(
                    f"{report.ticket_number} 第{report.seq or '-'}条：{report.problem}"
                )
        self.stdout.write(f"已校验 {checked} 张工单，{len(broken)} 张流转记录异常。")
        if broken:
            raise CommandError(f"{len(broken)} ticket histories are broken")
