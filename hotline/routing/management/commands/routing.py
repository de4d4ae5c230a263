"""`hotline routing train|evaluate|autodispatch`: the classifier's life cycle."""

import json

from django.core.management.base import BaseCommand, CommandError

from hotline.routing import store, training
from hotline.routing.services import auto_dispatch_pending


def _table(report: dict) -> list[str]:
    v = report.get("validation") or report
    lines = [f"验证集样本 n = {v['n']}，macro-F1 = {v['macro_f1']}，准确率 = {v['accuracy']}"]
    lines.append(f"{'分类':<10}{'精确率':>8}{'召回率':>8}{'F1':>8}{'样本':>6}")
    for label, m in v["labels"].items():
        lines.append(
            f"{label:<10}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>9.3f}{m['support']:>7}"
        )
    return lines


class Command(BaseCommand):
    help = "Train (train), evaluate (evaluate) the routing classifier, or auto-dispatch."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("train", help="train on the seed data and closed tickets")
        t.add_argument("--no-tickets", action="store_true", help="seed data only")
        t.add_argument("--force", action="store_true", help="promote even if worse")
        e = sub.add_parser("evaluate", help="figures of the current model on the validation split")
        e.add_argument("--json", action="store_true")
        e.add_argument("--no-tickets", action="store_true")
        a = sub.add_parser("autodispatch", help="dispatch pending tickets above their threshold")
        a.add_argument("--limit", type=int, default=500)

    def handle(self, *args, action, **opts):
        getattr(self, f"_{action}")(**opts)

    def _train(self, no_tickets=False, force=False, **_):
        try:
            report = training.train(use_tickets=not no_tickets, force=force)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"训练样本 {report['n_train']}（种子 {report['n_seed']}，工单 {report['n_tickets']}），"
            f"用时 {report['train_seconds']} 秒，版本 {report['version']}"
        )
        for line in _table(report):
            self.stdout.write(line)
        old = report["compared_with"]
        verdict = "已启用" if report["promoted"] else "未启用（不如现用模型）"
        self.stdout.write(
            f"现用模型 {old['version']} macro-F1 = {old['macro_f1']}；新模型{verdict}"
        )

    def _evaluate(self, json=False, no_tickets=False, **_):  # noqa: A002
        loaded = store.classifier()
        if loaded is None:
            raise CommandError("没有可用的模型，请先运行 hotline routing train / no model")
        version, model = loaded
        examples = training.seed_examples() + ([] if no_tickets else training.ticket_examples())
        _, valid = training.split(examples)
        if not valid:
            raise CommandError("没有验证数据（HOTLINE_DATA_DIR 不存在且无已办结工单）/ no data")
        report = training.evaluate(model, valid)
        report["version"] = version
        if json:
            self.stdout.write(_json(report))
            return
        self.stdout.write(f"模型 {version}")
        for line in _table(report):
            self.stdout.write(line)

    def _autodispatch(self, limit=500, **_):
        self.stdout.write(f"自动派单 {auto_dispatch_pending(limit)} 张工单")


def _json(report):
    return json.dumps(report, ensure_ascii=False, indent=2)
