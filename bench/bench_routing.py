"""Routing: accuracy, training time, throughput on one core, latency of a suggestion, model size.

    .venv/bin/python bench/bench_routing.py

Needs the real data (HOTLINE_DATA_DIR, default ../shared/data). Trains a fresh model on the
765 messages outside the frozen test split (not saved), evaluates it and the shipped model on
the 255 frozen test messages with a bootstrap 95 % interval (hotline/routing/frozen.py), then
classifies every real message (labelled and unlabelled) in batches on one thread, and times
single suggestions (classifier + jurisdiction + units) and the API on a fresh SQLite database
holding the demo province with all its towns.
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # one core, as the goal says

import csv  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from common import fresh_database, percentile, setup_django  # noqa: E402


def main():
    setup_django(fresh_database(None, "routing"))
    from django.conf import settings
    from django.test import Client

    from hotline.orgs.demo import build_demo_province
    from hotline.orgs.models import User
    from hotline.routing import frozen, services, store, training
    from hotline.routing.classifier import TextClassifier

    data = settings.DATA_DIR
    examples = training.seed_examples()
    if not examples:
        raise SystemExit(f"no seed data in {data}")
    train, valid = training.split(examples)

    t0 = time.perf_counter()
    model = TextClassifier().fit(
        [e.title for e in train], [e.content for e in train], [e.label for e in train]
    )
    train_s = time.perf_counter() - t0
    fresh = training.evaluate(model, valid)
    version, shipped = store.classifier()
    report = training.evaluate(shipped, valid)
    size = (store.store_dir() / f"classifier-{version}.joblib").stat().st_size

    print(f"数据 {data}: 训练 {len(train)} 条，冻结测试集 {len(valid)} 条（frozen_test_ids.csv）")
    print(f"训练用时（含概率校准）: {train_s:.1f} s；新训练模型 macro-F1 = {fresh['macro_f1']}")
    print(f"随产品发布的模型 {version}: {size / 1e6:.2f} MB")
    print(f"  macro-F1 = {report['macro_f1']}  accuracy = {report['accuracy']}")
    preds = shipped.predict_many([(e.title, e.content) for e in valid], reasons=0)
    ci = frozen.bootstrap([e.label for e in valid], [p.label or "" for p in preds])
    for name, iv in ci.items():
        print(
            f"  {name} = {iv.value:.3f}，95% 区间 [{iv.low:.3f}, {iv.high:.3f}]（自助法 2,000 次）"
        )
    for label, m in report["labels"].items():
        print(
            f"  {label:<8} P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f}"
            f" n={m['support']}"
        )
    reader_agreement(frozen, valid, preds)

    texts = [(e.title, e.content) for e in examples]
    with open(data / "messages_unlabeled.csv", encoding="utf-8", newline="") as f:
        texts += [(r["title"], r["content"]) for r in csv.DictReader(f)]
    chars = sum(len(t) + len(c) for t, c in texts)
    # CPU time as well as wall time: on a shared machine the wall clock counts other people's work.
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 256):
        shipped.predict_many(texts[i : i + 256])
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    level1_cpu = cpu
    print(
        f"批量分类（含关键词理由）: {len(texts)} 条（平均 {chars / len(texts):.0f} 字）"
        f" 墙钟 {secs:.2f} s = {len(texts) / secs:.0f} 条/秒；"
        f"CPU {cpu:.2f} s = {len(texts) / cpu:.0f} 条/秒（单线程）"
    )
    same_run_floor(shipped, texts)

    # Levels 2 and 3 (services.category_codes: the level model, else the name rule): how often
    # they are named and what they add per demand; their accuracy is bench_routing_levels.py's.
    named = [0, 0]
    predictions = shipped.predict_many(texts, reasons=0)
    c0 = time.process_time()
    for i in range(0, len(texts), 256):
        batch = services.category_codes_many(predictions[i : i + 256], texts[i : i + 256])
        named[0] += sum(codes[1] is not None for codes in batch)
        named[1] += sum(codes[2] is not None for codes in batch)
    cpu = time.process_time() - c0
    print(
        f"二、三级给出率（不是准确率）: 二级 {named[0] / len(texts):.1%}，"
        f"三级 {named[1] / len(texts):.1%}（{len(texts)} 条）；"
        f"二、三级 CPU {cpu / len(texts) * 1000:.3f} ms/条（每批 256 条）；"
        f"一、二、三级合计 {len(texts) / (level1_cpu + cpu):.0f} 条/秒（单线程）"
    )

    t0 = time.perf_counter()
    build_demo_province(password="bench-pass-123", towns=True)
    print(f"演示省份（含全部乡镇）建库 {time.perf_counter() - t0:.1f} s")
    services.suggest(title="预热", content="福州市鼓楼区")  # caches: regions, units, mapping
    sample = texts[:500]
    laps = []
    c0 = time.process_time()
    for title, content in sample:
        t0 = time.perf_counter()
        services.suggest(title=title, content=content, address="福州市鼓楼区")
        laps.append((time.perf_counter() - t0) * 1000)
    print(
        f"单条推荐（分类+属地+单位）: p50 {statistics.median(laps):.2f} ms,"
        f" p95 {percentile(laps, 95):.2f} ms, max {max(laps):.2f} ms;"
        f" CPU 平均 {(time.process_time() - c0) / len(sample) * 1000:.2f} ms"
    )

    client = Client()
    client.force_login(User.objects.get(username="fz_dispatcher"))
    laps = []
    for title, content in sample[:200]:
        body = json.dumps({"title": title, "content": content, "address": "福州市台江区"})
        t0 = time.perf_counter()
        r = client.post("/api/v1/routing/suggest", body, content_type="application/json")
        laps.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.content
    print(
        f"API POST /routing/suggest（进程内）: p50 {statistics.median(laps):.2f} ms,"
        f" p95 {percentile(laps, 95):.2f} ms"
    )


def same_run_floor(shipped, texts):
    """The same batches with scikit-learn's own n-gram transform (what hotline/routing/ngrams.py
    replaced), alternating with the shipped path, two rounds each: the ratio holds on a shared
    machine where the absolute figures drift."""
    from hotline.routing import ngrams

    fast = ngrams.transform
    cpu = {"ngrams.py": 0.0, "scikit-learn": 0.0}
    try:
        for _ in range(2):
            for name, impl in (
                ("scikit-learn", lambda vec, docs: vec.transform(docs)),
                ("ngrams.py", fast),
            ):
                ngrams.transform = impl
                c0 = time.process_time()
                for i in range(0, len(texts), 256):
                    shipped.predict_many(texts[i : i + 256])
                cpu[name] += time.process_time() - c0
    finally:
        ngrams.transform = fast
    rate = {name: 2 * len(texts) / secs for name, secs in cpu.items()}
    print(
        f"同一次运行对照（交替两轮，CPU）: scikit-learn 原变换 {rate['scikit-learn']:.0f} 条/秒，"
        f"ngrams.py {rate['ngrams.py']:.0f} 条/秒（{rate['ngrams.py'] / rate['scikit-learn']:.2f} 倍）"
    )


def reader_agreement(frozen, valid, preds):
    """A careful reader's first-level labels by docs/labelling-routing.md, made blind to the data
    set's (docs/data/routing_reader.csv), scored like the model on the frozen split: what a
    person following the guide reaches against the same labels. Then the shipped model on the
    messages the reader was sure of and on the others."""
    from pathlib import Path

    from sklearn.metrics import f1_score

    path = Path(__file__).resolve().parent.parent / "docs" / "data" / "routing_reader.csv"
    with open(path, encoding="utf-8", newline="") as f:
        reader = {f"seed:{r['id']}": (r["label"], r["sure"] == "是") for r in csv.DictReader(f)}
    truth = [e.label for e in valid]
    ci = frozen.bootstrap(truth, [reader[e.key][0] for e in valid])
    for name, iv in ci.items():
        print(
            f"  人工（按指南盲读）{name} = {iv.value:.3f}，95% 区间 [{iv.low:.3f}, {iv.high:.3f}]"
        )
    for sure, word in ((True, "有把握"), (False, "两可")):
        idx = [i for i, e in enumerate(valid) if reader[e.key][1] is sure]
        t = [truth[i] for i in idx]
        model = f1_score(t, [preds[i].label or "" for i in idx], average="macro")
        person = f1_score(t, [reader[valid[i].key][0] for i in idx], average="macro")
        print(f"  读者{word}的 {len(idx)} 条：模型 macro-F1 {model:.3f}，读者 {person:.3f}")


if __name__ == "__main__":
    main()
