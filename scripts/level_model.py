"""The level-2/3 model: cross-validation on the hand-labelled tuning sample, and training.

    .venv/bin/python scripts/level_model.py cv [--shuffles 3] [--weights 1 3] [--c 0.3]
    .venv/bin/python scripts/level_model.py train

`cv`:
The tuning sample (docs/data/level_labels_tune.csv: 299 messages outside the frozen split,
scripts/level_sample.py 300 tune) is split in five folds; each fold is predicted by a level
model fitted on the distant rows plus the other folds' hand rows. The first level is the data
set's label, so the figures measure levels 2 and 3 alone. Printed per candidate: level-2 and
level-3 coverage / precision / accuracy (null = wrong), and how often the unit function the
codes map to (routing/defaults.py) is the one the hand labels map to. The frozen sample
(docs/data/level_labels.csv) is not read; bench/bench_routing_levels.py scores it once.

`--more`: each candidate also with docs/data/level_labels_more.csv (the rest of the 765, read by
the same guide) in every fold's training part, their messages taken out of the distant rows.

`train`: fits the model on the distant rows, the whole tuning sample and level_labels_more.csv
(where present) and writes it into the routing model folder (levels-v2.joblib). Both need the real data (HOTLINE_DATA_DIR).
"""

import argparse
import os
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

TUNE = ROOT / "docs" / "data" / "level_labels_tune.csv"
# The rest of the 765 training messages, read by the same guide (2026-12-07): hand rows for
# every fold's training part and for `train`, never scored in `cv` (it scores TUNE's folds).
MORE = ROOT / "docs" / "data" / "level_labels_more.csv"
HAND = ROOT / "docs" / "data" / "routing_labels.csv"


def main():
    import django

    django.setup()
    if sys.argv[1:2] == ["train"]:
        train()
    elif sys.argv[1:2] == ["cv"]:
        sys.argv.pop(1)
        cross_validate()
    else:
        sys.exit(__doc__)


def train():
    from django.conf import settings

    from hotline.routing import levelmodel, store
    from hotline.routing import levels_training as lt

    data = Path(settings.DATA_DIR)
    tune = lt.read_csv(TUNE)
    more = lt.read_csv(MORE) if MORE.exists() else []
    started = time.process_time()
    _version, classifier = store.classifier()
    hand = tune + more
    distant = lt.distant_rows(lt.known_level1(data, HAND, classifier, {r["id"] for r in hand}))
    rows = lt.joined(distant, lt.hand_rows(data, hand))
    model = levelmodel.LevelModel().fit(rows.docs, rows.level2, rows.level3, rows.weights)
    target = levelmodel.save(model)
    print(
        f"{len(distant.docs)} distant rows + {len(rows.docs) - len(distant.docs)} hand rows; "
        f"level 2: {len(model.level2.classes)} nodes, level 3: {len(model.level3.classes)}; "
        f"{target} {target.stat().st_size // 1024} KiB, {time.process_time() - started:.0f} s CPU"
    )


def cross_validate():
    import numpy as np
    from django.conf import settings
    from sklearn.model_selection import KFold

    from hotline.routing import levelmodel, levels, store, taxonomy
    from hotline.routing import levels_training as lt
    from hotline.routing.textprep import title_content

    parser = argparse.ArgumentParser()
    parser.add_argument("--shuffles", type=int, default=3)
    parser.add_argument("--weights", type=float, nargs="*", default=[1.0, 3.0])
    parser.add_argument("--c", type=float, nargs="*", default=[levelmodel.C])
    parser.add_argument(
        "--more", action="store_true", help=f"also with {MORE.name}'s rows in every fold"
    )
    args = parser.parse_args()

    data = Path(settings.DATA_DIR)
    tune = lt.read_csv(TUNE)
    ids = {r["id"] for r in tune}
    _version, classifier = store.classifier()
    started = time.process_time()
    distant = lt.distant_rows(lt.known_level1(data, HAND, classifier, ids))
    print(f"distant rows {len(distant.docs)} ({time.process_time() - started:.0f} s CPU)")
    variants = [("", distant, [])]
    if args.more:
        more = lt.read_csv(MORE)
        extra = {r["id"] for r in more}
        # Their messages leave the distant rows, as the tuning sample's do: one label per text.
        fewer = lt.distant_rows(lt.known_level1(data, HAND, classifier, ids | extra))
        variants.append(("+more ", fewer, more))
        print(f"{MORE.name}: {len(more)} rows; distant rows then {len(fewer.docs)}")
    messages = {r["id"]: r for r in lt.read_csv(data / "messages_labeled.csv")}
    codes1 = taxonomy.level1_codes()
    level1 = [codes1[messages[r["id"]]["label"]] for r in tune]
    docs = [title_content(messages[r["id"]]["title"], messages[r["id"]]["content"]) for r in tune]
    gold = [(r["level2"], r["level3"]) for r in tune]
    gold_paths = [[level1[i], *gold[i]] for i in range(len(tune))]

    def show(name, runs):
        f = [levels.figures(gold, p) for p in runs]
        agree = [
            levels.function_agreement(gold_paths, [[level1[i], *p[i]] for i in range(len(p))])[
                "agreement"
            ]
            for p in runs
        ]
        line = "  ".join(
            f"{lv[-1]}: cov {np.mean([x[lv]['coverage'] for x in f]):.3f} "
            f"prec {np.mean([x[lv]['precision'] for x in f]):.3f} "
            f"acc {np.mean([x[lv]['accuracy'] for x in f]):.3f}"
            for lv in levels.LEVELS
        )
        print(f"{name:<22} {line}  function {np.mean(agree):.3f}", flush=True)

    show("rule", [[taxonomy.rule_deeper(level1[i], *docs[i]) for i in range(len(tune))]])
    for c in args.c:
        levelmodel.C = c
        for weight in args.weights:
            for tag, base, extra in variants:
                runs = []
                for shuffle in range(args.shuffles):
                    predicted = [None] * len(tune)
                    for tr, te in KFold(5, shuffle=True, random_state=shuffle).split(tune):
                        hand = [tune[i] for i in tr] + extra
                        rows = lt.joined(base, lt.hand_rows(data, hand, weight))
                        model = levelmodel.LevelModel().fit(
                            rows.docs, rows.level2, rows.level3, rows.weights
                        )
                        for i in te:
                            predicted[i] = model.deeper(level1[i], *docs[i])
                    runs.append(predicted)
                show(f"{tag}model C={c} hand w={weight:g}", runs)


if __name__ == "__main__":
    main()
