"""Hot topics measured against problems a reader labelled (docs/labelling-hot-topics.md).

The labels (tests/data/labels/hot_topics.csv) name, for the public votes data, the hottest
problems — the same problem at the same place — and the ids of their member messages, ranked
by a reader. This module matches the product's ranked topics to them:

- a topic *is* a problem when more than half of its members are that problem's members;
- a topic is *mixed* (an error, whatever its majority) when two labelled problems each have at
  least `MIXED_MIN` members in it: different problems under one title;
- a hit at rank i is a topic that is a problem, is not mixed, and whose problem no earlier
  topic already was (the same problem shown twice is one problem found, and a wasted place);
- precision at k = hits among the first k topics / k;
- each problem's members are judged against the topic holding most of them (any rank): member
  precision = its members in that topic / topic size, recall = / problem size.
"""

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MIXED_MIN = 2  # one stray message of another problem is noise; two are a second problem


@dataclass
class Problem:
    pid: str
    rank: int
    title: str
    members: set[str] = field(default_factory=set)


@dataclass
class ProblemScore:
    pid: str
    rank: int
    title: str
    size: int
    topic_rank: int | None  # 1-based rank of the topic holding most of its members
    found: int  # members in that topic
    topic_size: int
    precision: float
    recall: float


@dataclass
class TopicVerdict:
    rank: int
    title: str
    size: int
    problem: str | None  # the problem it is (majority), None when none
    mixed: bool
    hit: bool
    counts: dict[str, int]  # members per labelled problem


@dataclass
class Evaluation:
    topics: list[TopicVerdict]
    problems: list[ProblemScore]

    def precision_at(self, k: int) -> float:
        return sum(1 for t in self.topics[:k] if t.hit) / k

    def found_of_top(self, n: int, k: int) -> int:
        """How many of the reader's n hottest problems are hits in the first k topics."""
        top = {p.pid for p in self.problems if p.rank <= n}
        return len({t.problem for t in self.topics[:k] if t.hit and t.problem in top})

    def mean(self, attr: str) -> float:
        return sum(getattr(p, attr) for p in self.problems) / len(self.problems)


def load_labels(path: str | Path) -> dict[str, Problem]:
    problems: dict[str, Problem] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            p = problems.setdefault(
                row["problem_id"], Problem(row["problem_id"], int(row["rank"]), row["problem"])
            )
            p.members.add(row["message_id"].strip())
    return problems


def evaluate(ranked, problems: dict[str, Problem]) -> Evaluation:
    """`ranked`: the product's topics, hottest first (objects with `keys`, `size`, `title`)."""
    owner = {m: p.pid for p in problems.values() for m in p.members}
    verdicts, seen = [], set()
    best: dict[str, tuple[int, int, int]] = {}  # pid -> (found, topic rank, topic size)
    for i, topic in enumerate(ranked, start=1):
        keys = [str(k) for k in topic.keys]
        counts = Counter(owner[k] for k in keys if k in owner)
        problem = None
        if counts:
            pid, n = counts.most_common(1)[0]
            problem = pid if n * 2 > len(keys) else None
        mixed = sum(1 for n in counts.values() if n >= MIXED_MIN) >= 2
        hit = problem is not None and not mixed and problem not in seen
        if hit:
            seen.add(problem)
        for pid, n in counts.items():
            if n > best.get(pid, (0, 0, 0))[0]:
                best[pid] = (n, i, len(keys))
        verdicts.append(TopicVerdict(i, topic.title, len(keys), problem, mixed, hit, dict(counts)))
    scores = []
    for p in sorted(problems.values(), key=lambda p: p.rank):
        n, rank, size = best.get(p.pid, (0, 0, 0))
        scores.append(
            ProblemScore(
                p.pid, p.rank, p.title, len(p.members), rank or None, n, size,
                n / size if size else 0.0, n / len(p.members),
            )
        )  # fmt: skip
    return Evaluation(verdicts, scores)
