"""The level-2/3 name rule (taxonomy.rule_deeper) after it was made to find the words once per
text: the same codes as the rule as first written, kept here as the reference."""

import csv
import os
from pathlib import Path

from django.conf import settings as django_settings

from hotline.routing import taxonomy
from hotline.routing.textprep import title_content

DATA = Path(os.environ.get("HOTLINE_DATA_DIR", django_settings.DATA_DIR))


def reference(code: str, title: str, content: str):
    def best(nodes):
        scored = []
        for n in nodes:
            score = sum(2 * title.count(w) + content.count(w) for w in n.keywords)
            if score:
                scored.append((score, n))
        scored.sort(key=lambda s: -s[0])
        if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
            return None
        return scored[0][1]

    level2 = taxonomy._children(code)
    leaf = best([n for n2 in level2 for n in taxonomy._children(n2.code)])
    if leaf is not None:
        return leaf.parent, leaf.code
    node = best(level2)
    return (node.code if node else None), None


def cases():
    yield "公共汽车", "公共汽车班次少，公交站台太远"
    yield "", ""
    yield "电梯坏了", "电梯坏了"
    yield "物业物业", "物业费物业费物业"  # a word twice in the title, overlapping parts
    yield "哈哈哈", "住房住房住房保障与房地产"
    path = DATA / "messages_unlabeled.csv"
    if path.exists():
        with open(path, encoding="utf-8", newline="") as f:
            for r in list(csv.DictReader(f))[:600]:
                yield title_content(r["title"], r["content"])


def test_same_codes_as_the_rule_as_first_written():
    compared = 0
    for title, content in cases():
        for code in taxonomy.level1_codes().values():
            assert taxonomy.rule_deeper(code, title, content) == reference(code, title, content)
            compared += 1
    assert compared >= 5 * len(taxonomy.level1_codes())


def test_rule_names_a_node_from_its_words():
    codes = taxonomy.level1_codes()
    level2, level3 = taxonomy.rule_deeper(codes["城乡建设"], "公共汽车", "公共汽车班次少")
    assert level2 and taxonomy.tree()[level2].parent == codes["城乡建设"]
    assert level3 is None or taxonomy.tree()[level3].parent == level2
