"""The order in which unlabelled training replies are hand-labelled (docs/labelling-replies.md §4).

The pool is every id of `replies.csv` not yet labelled (tests/data/labels/replies.csv,
docs/data/reply_labels.csv), minus any reply whose text equals a frozen test reply's and any
demand (title + content) equal to a frozen test demand; replies whose text repeats one already
in the pool or in the labels are dropped too (boilerplate adds nothing). Shuffled with seed 2028,
drawn before any product output was looked at. The frozen test split is never printed.

    .venv/bin/python scripts/reply_label_sample.py              ids in labelling order
    .venv/bin/python scripts/reply_label_sample.py --next 50    the next 50 not yet labelled
"""

import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

SEED = 2028


def pool() -> list[dict]:
    import django

    django.setup()
    from hotline.screening import reply_training as rt
    from hotline.text import compact, normalize

    rows = rt.replies()
    test = rt._test_ids()
    # the labels that existed before the pool batches: the pool (and its order) must not change
    # as batches are added, so the pool-N rows are not taken out here (--next skips them)
    extra = [r for r in rt._read(rt.EXTRA_LABELS) if not r["sample"].startswith("pool-")]
    labelled = {r["id"] for r in rt._read(rt.LABELS)} | {r["id"] for r in extra}

    def demand(r):
        return compact(normalize(r["title"] + r["content"]))

    frozen_demands = {demand(rows[i]) for i in test}
    seen = {rt.text_key(rows[i]["reply"]) for i in labelled}
    ids = sorted((i for i in rows if i not in labelled), key=int)
    random.Random(SEED).shuffle(ids)
    out = []
    for i in ids:
        key = rt.text_key(rows[i]["reply"])
        if rt.is_frozen(rows[i]["reply"]) or demand(rows[i]) in frozen_demands or key in seen:
            continue
        seen.add(key)
        out.append(rows[i])
    return out


def cut(text: str, head: int, tail: int = 0) -> str:
    """Long texts shown as head … tail (the reader asks for the whole text when it matters)."""
    text = " ".join(text.split())
    if len(text) <= head + tail + 20:
        return text
    return (
        text[:head] + f" ……（略 {len(text) - head - tail} 字）…… " + (text[-tail:] if tail else "")
    )


def show(r: dict) -> str:
    from hotline.screening.reply_training import clean

    return (f"### {r['id']}\n标题：{r['title']}\n诉求：{cut(r['content'], 260)}\n"
            f"答复：{cut(clean(r['reply']), 520, 200)}\n")  # fmt: skip


if __name__ == "__main__":
    items = pool()
    if sys.argv[1:2] == ["--next"]:
        from hotline.screening import reply_training as rt

        done = {r["id"] for r in rt._read(rt.EXTRA_LABELS)}
        todo = [r for r in items if r["id"] not in done][: int(sys.argv[2])]
        print("\n".join(show(r) for r in todo))
    else:
        print(f"# {len(items)} replies in the pool", file=sys.stderr)
        for r in items:
            print(r["id"])
