"""`hotline check-security`: print every security setting and fail (exit 1) on a weak one."""

from django.core.management.base import BaseCommand, CommandError

from hotline.audit.security import evaluate


class Command(BaseCommand):
    help = "Print each security setting in force; exit 1 if any is weak."

    def handle(self, *args, **options):
        findings = evaluate()
        width = max(len(f.name) for f in findings)
        for f in findings:
            mark = "通过" if f.ok else "不合格"
            self.stdout.write(f"[{mark}] {f.name:<{width}}  {f.label}：{f.shown}")
            if not f.ok:
                self.stdout.write(f"         {'':<{width}}  → {f.advice}")
        weak = [f.name for f in findings if not f.ok]
        if weak:
            raise CommandError(f"{len(weak)} 项安全设置不合格：{', '.join(weak)}")
        self.stdout.write(self.style.SUCCESS(f"全部 {len(findings)} 项安全设置合格"))
