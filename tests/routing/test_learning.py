"""Learning: every dispatch is recorded; overrides label the next training; not-worse rule."""

from hotline.routing import frozen, store, training
from hotline.routing.models import DispatchDecision
from hotline.tickets.models import Status
from tests.tickets.factory import ticket_at


def test_accepted_suggestion_is_recorded(routed):
    t = ticket_at(routed, Status.DISPATCHED, lead="gl_housing")

    d = DispatchDecision.objects.get(ticket=t)
    assert d.final_unit.code == "gl_housing"
    assert d.suggested[0]["code"] == "gl_housing"
    assert d.accepted is True
    assert d.in_suggestions is True
    assert d.automatic is False
    assert d.category == "城乡建设"
    assert d.decided_by.username == "fz_dispatcher"


def test_override_is_recorded_and_used_by_the_next_training(routed):
    # An elevator demand the dispatcher sends to 人社局: an override the model did not suggest.
    t = ticket_at(routed, Status.DISPATCHED, lead="fz_hrss")

    d = DispatchDecision.objects.get(ticket=t)
    assert d.accepted is False
    assert d.final_unit.code == "fz_hrss"
    examples = {e.key: e for e in training.ticket_examples()}
    assert examples[f"ticket:{t.number}"].label == "劳动和社会保障"


def test_closed_ticket_category_beats_the_unit(routed):
    from hotline.catalog.models import Category

    cat = Category.objects.create(code="04", name="环境保护", level=1, full_name="环境保护")
    t = ticket_at(routed, Status.DISPATCHED, lead="gl_housing", category=cat)

    examples = {e.key: e for e in training.ticket_examples()}
    assert examples[f"ticket:{t.number}"].label == "环境保护"


def test_training_uses_ticket_examples_and_promotes_only_if_not_worse(settings, tmp_path):
    from tests.routing.conftest import tiny_examples

    settings.ROUTING_MODEL_DIR = str(tmp_path)
    store.reset()
    # Tickets split by the hash of their number; enough of them to leave some for validation.
    good = [
        training.Example(f"ticket:T{i}", t, c, label, "ticket")
        for i, (t, c, label) in enumerate(tiny_examples() * 4)
    ]
    first = training.train(examples=good)
    assert first["promoted"] is True
    assert first["version"] == "v1"

    # Labels shuffled: the candidate is worse on the same validation split and is kept aside.
    labels = [e.label for e in good]
    bad = [
        training.Example(e.key, e.title, e.content, labels[(i + 5) % len(labels)], "ticket")
        for i, e in enumerate(good)
    ]
    bad_valid = training.split(bad)[1]
    second = training.train(examples=bad)

    assert second["version"] == "v2"
    assert second["compared_with"]["version"] == "v1"
    if second["validation"]["macro_f1"] < second["compared_with"]["macro_f1"]:
        assert second["promoted"] is False
        assert store.current_version() == "v1"
    assert len(bad_valid) > 0


def test_split_holds_out_the_frozen_seed_ids_and_hashes_tickets_stably():
    from tests.routing.conftest import tiny_examples

    frozen_id = sorted(frozen.frozen_ids())[0]
    texts = tiny_examples()
    seeds = [
        training.Example(f"seed:{frozen_id}", *texts[0], "seed"),
        training.Example("seed:not-frozen", *texts[1], "seed"),
    ]
    tickets = [
        training.Example(f"ticket:T{i}", t, c, label, "ticket")
        for i, (t, c, label) in enumerate(texts * 4)
    ]

    train1, valid1 = training.split(seeds + tickets)
    train2, valid2 = training.split(list(reversed(seeds + tickets)))

    assert f"seed:{frozen_id}" in {e.key for e in valid1}
    assert "seed:not-frozen" in {e.key for e in train1}
    assert {e.key for e in valid1} == {e.key for e in valid2}
    assert not {e.key for e in train1} & {e.key for e in valid1}
    assert 0 < sum(e.source == "ticket" for e in valid1) < len(tickets)
