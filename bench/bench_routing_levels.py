"""Routing levels 2 and 3 on a hand-labelled sample of the frozen test split (issue 17 part 2).

    .venv/bin/python bench/bench_routing_levels.py

Needs the real data (HOTLINE_DATA_DIR, default ../shared/data). The sample (101 messages,
stratified by first level, seed 2026: scripts/level_sample.py) was labelled by reading each
message by docs/labelling-levels.md before any product output was looked at; the labels are in
docs/data/level_labels.csv. Runs the shipped classifier and levels 2 and 3 as the product names
them (services.category_codes: the shipped level model, else taxonomy.py's rule) and prints, per
level: coverage, precision when a node is named, accuracy (null = wrong), accuracy where the
gold code is not empty; then how often the unit function the codes map to is the labels' one.
"""

import os

from common import ROOT, fresh_database

LABELS = ROOT / "docs" / "data" / "level_labels.csv"


def main():
    # No table is read: Django only for settings and the model store.
    os.environ["HOTLINE_DATABASE_URL"] = fresh_database(None, "routing-levels")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()
    from hotline.routing import levels, store

    version, _ = store.classifier()
    result = levels.evaluate(LABELS)
    figs = result["figures"]
    n = figs["level2"]["n"]
    print(
        f"模型 {version}；样本 {n} 条（冻结测试集），"
        f"一级预测与数据集标签不同 {result['level1_wrong']} 条，"
        f"一级置信度 < 0.6（不给二、三级）{result['below_gate']} 条"
    )
    for level, f in figs.items():
        print(
            f"{level}: 覆盖率 {f['coverage']:.3f} ({f['named']}/{f['n']})  "
            f"精确率 {f['precision']:.3f} ({f['correct']}/{f['named']})  "
            f"准确率(null 算错) {f['accuracy']:.3f} ({f['correct']}/{f['n']})  "
            f"金标准非空时准确率 {f['accuracy_on_gold']:.3f} ({f['correct']}/{f['gold']})"
        )
        ci = result["intervals"][level]
        print(
            "  95% 区间（自助法）: "
            + "  ".join(f"{k} {lo:.3f}–{hi:.3f}" for k, (lo, hi) in ci.items())
        )
    fn = result["function"]
    print(
        f"派单职能一致（一级按预测，与数据集一级 + 人工二、三级所映射的职能相同）: "
        f"{fn['agreement']:.3f} ({fn['same']}/{fn['n']})"
    )
    if os.environ.get("SHOW"):
        for i, codes in result["predicted"].items():
            print(i, codes)


if __name__ == "__main__":
    main()
