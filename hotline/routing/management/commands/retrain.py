"""`hotline retrain [routing|replies] [--force]`: learn from the center's corrections."""

from django.core.management.base import BaseCommand, CommandError

from hotline.routing import learning
from hotline.routing.models import ModelKind


class Command(BaseCommand):
    help = (
        "Retrain the routing classifier and/or the reply scorer on the previous data plus the "
        "center's corrections; deploy only if not worse on the frozen test split."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", nargs="?", choices=[*ModelKind.values, "all"], default="all",
            help="routing (dispatch), replies (reply review) or all (default)",
        )  # fmt: skip
        parser.add_argument("--force", action="store_true", help="deploy even if worse")

    def handle(self, *args, kind="all", force=False, **opts):
        kinds = list(ModelKind.values) if kind == "all" else [kind]
        for k in kinds:
            try:
                v = learning.RETRAIN[k](force=force)
            except learning.NotAvailable as exc:
                raise CommandError(str(exc)) from exc
            name = ModelKind(k).label
            self.stdout.write(
                f"{name} {v.version}：训练样本 {v.n_train}（纠正 {v.n_corrections}，"
                f"排除冻结集纠正 {v.n_excluded}）"
            )
            self.stdout.write(
                f"  冻结测试集 n = {v.n_test}：F1 = {v.f1:.4f}，精确率 = {v.precision:.4f}，"
                f"召回率 = {v.recall:.4f}"
            )
            active = f"{v.active_version} F1 = {v.active_f1:.4f}" if v.active_version else "无"
            self.stdout.write(f"  现用版本 {active}；{v.reason}")
