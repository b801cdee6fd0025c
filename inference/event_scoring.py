"""Scoring events against the gold events of ``annotations/events/*.jsonl`` (format: its README.md).

Predicted events come from ``inference.events.article_events`` run over every sentence of each gold
article, with the sentences' spans either the gold spans of the corpus (``spans="gold"``: measures the
event rules alone) or the model's (``spans="model"``: the whole pipeline). An article is rebuilt as its
corpus sentences joined by newlines, so sentence indexes and offsets are the corpus's.

Metrics (``score``):

- ``type_accuracy``: of the gold slots found in a predicted event (same span and label), the share whose
  predicted event has the gold event's type.
- ``grouping``: precision, recall and F1 of slot pairs that share an event (events other than ``official``;
  a pair is two slots, spans and labels, of one event).
- ``time`` / ``organization``: for each gold activity event, the predicted event holding most of its slots;
  the share whose time (organisation) is the gold one: the same span of the same sentence, or both none.
  ``organization.spurious``: of the matched gold events with no organisation, the share given one.
- ``name_title`` / ``name_organization``: precision, recall and F1 of (name, title) and (name,
  organisation) pairs of ``official`` events.
- ``value_accuracy``: of the gold quantity slots with a predicted slot of the same label overlapping them,
  the share whose ``value`` equals the gold value (written in the gold file, else ``inference.numbers``
  of the gold span).

Over 300 lines on purpose: reading the gold, matching events and the seven metrics share one
matching of gold to predicted slots; apart, each would redo it.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from annotations.events.gold import ROOT, SETS, corpus_examples
from annotations.labelstudio import Example
from annotations.schema import QUANTITY_LABELS
from inference.events import Event, Slot, article_events
from inference.numbers import normalise
from inference.tagger import TaggedSentence

# (sentence_index, start, end, label): a slot, offsets in its sentence
Key = tuple[int, int, int, str]


@dataclass
class Article:
    article_id: str
    sentences: list[Example]  # every corpus sentence of the article, by index
    starts: list[int]  # offset of each sentence in the rebuilt article text


def articles_of(records: list[dict], examples: dict[tuple[str, int], Example] | None = None) -> dict[str, Article]:
    """The corpus articles of the gold records (looked up in the corpus and the out-of-style set)."""
    if examples is None:
        examples = {}
        for _, _, corpus in SETS.values():
            examples.update(corpus_examples(ROOT / corpus))
    by_article: dict[str, list[Example]] = defaultdict(list)
    wanted = {r["article_id"] for r in records}
    for (article_id, _), example in examples.items():
        if article_id in wanted:
            by_article[article_id].append(example)
    articles = {}
    for article_id, sentences in by_article.items():
        sentences.sort(key=lambda e: e.sentence_index)
        starts, offset = [], 0
        for sentence in sentences:
            starts.append(offset)
            offset += len(sentence.text) + 1
        articles[article_id] = Article(article_id, sentences, starts)
    return articles


def gold_tagged(article: Article) -> list[TaggedSentence]:
    return [
        TaggedSentence(e.text, [], [], [], list(e.spans), index=e.sentence_index, start=start)
        for e, start in zip(article.sentences, article.starts)
    ]


def predict_events(articles: dict[str, Article], spans: str = "gold", tagger=None) -> dict[str, list[Event]]:
    """Events of each article from the gold spans, or from ``tagger`` (``inference.Tagger``) for ``spans="model"``."""
    if spans == "gold":
        return {a: article_events(a, gold_tagged(article)) for a, article in articles.items()}
    texts = [e.text for article in articles.values() for e in article.sentences]
    tagged = iter(tagger.predict(texts))
    out = {}
    for a, article in articles.items():
        sentences = [next(tagged).placed(e.sentence_index, s) for e, s in zip(article.sentences, article.starts)]
        out[a] = article_events(a, sentences, tagger.model_version)
    return out


# ---------------------------------------------------------------- the gold and predicted events as keys


@dataclass
class Flat:
    """One event reduced to what is scored."""

    type: str
    slots: list[Key]
    time: tuple[int, int, int] | None
    organization: tuple[int, int, int] | None
    values: dict[Key, float]


def _gold_ref(ref, sentence: int) -> tuple[int, int, int] | None:
    if ref is None:
        return None
    if isinstance(ref, list):
        return (sentence, ref[0], ref[1])
    return (ref["sentence_index"], ref["start"], ref["end"])


def gold_flat(record: dict) -> list[Flat]:
    sentence, text = record["sentence_index"], record["text"]
    out = []
    for event in record["events"]:
        slots, values = [], {}
        for label, spans in event["slots"].items():
            written = event.get("values", {}).get(label) or [None] * len(spans)
            for (start, end), value in zip(spans, written):
                key = (sentence, start, end, label)
                slots.append(key)
                if label in QUANTITY_LABELS:
                    values[key] = value if value is not None else normalise(label, text[start:end]).get("value")
        out.append(
            Flat(
                event["type"],
                sorted(slots),
                _gold_ref(event.get("time"), sentence),
                _gold_ref(event.get("organization"), sentence),
                values,
            )
        )
    return out


def predicted_flat(event: Event, article: Article) -> Flat:
    def local(slot: Slot | None) -> tuple[int, int, int] | None:
        if slot is None:
            return None
        i = bisect.bisect_right(article.starts, slot.start) - 1
        start = article.starts[i]
        return (article.sentences[i].sentence_index, slot.start - start, slot.end - start)

    slots, values = [], {}
    for label, items in event.slots.items():
        for slot in items:
            s, a, b = local(slot)
            slots.append((s, a, b, label))
            if label in QUANTITY_LABELS:
                values[(s, a, b, label)] = slot.value
    return Flat(event.event_type, sorted(slots), local(event.time), local(event.organization), values)


# ---------------------------------------------------------------- metrics


def _prf(gold: set, predicted: set) -> dict:
    tp = len(gold & predicted)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "gold": len(gold),
        "predicted": len(predicted),
        "tp": tp,
    }


def _share(good: int, total: int) -> dict:
    return {"accuracy": round(good / total, 4) if total else 0.0, "correct": good, "total": total}


def _pairs(events: list[tuple[str, Flat]]) -> set:
    return {(article, a, b) for article, event in events for i, a in enumerate(event.slots) for b in event.slots[i + 1 :]}


def _text(article: Article, ref: tuple[int, int, int]) -> str:
    sentence = next(e for e in article.sentences if e.sentence_index == ref[0])
    return sentence.text[ref[1] : ref[2]].lower()


def _same_value(gold, predicted) -> bool:
    if gold is None or predicted is None:
        return gold is None and predicted is None
    return abs(float(gold) - float(predicted)) <= 1e-9 * max(1.0, abs(float(gold)))


def score(records: list[dict], predicted: dict[str, list[Event]], articles: dict[str, Article]) -> dict:
    """The metrics of the module docstring; ``errors`` lists the misses by kind (for reading, not scoring)."""
    sentences = {(r["article_id"], r["sentence_index"]) for r in records}
    gold = [(r["article_id"], f) for r in records for f in gold_flat(r)]
    pred = [
        (a, flat)
        for a, events in predicted.items()
        for flat in (predicted_flat(e, articles[a]) for e in events)
        if flat.slots and (a, flat.slots[0][0]) in sentences
    ]
    pred_of: dict[tuple[str, Key], int] = {(a, k): i for i, (a, f) in enumerate(pred) for k in f.slots}
    errors: dict[str, list] = defaultdict(list)

    # event types of the found slots
    typed = Counter()
    for a, event in gold:
        for key in event.slots:
            i = pred_of.get((a, key))
            if i is None:
                continue
            typed["found"] += 1
            if pred[i][1].type == event.type:
                typed["correct"] += 1
            else:
                errors["type"].append((a, key, event.type, pred[i][1].type))
    gold_slots = sum(len(e.slots) for _, e in gold)

    activity = [(a, e) for a, e in gold if e.type != "official"]
    attached = [(a, e) for a, e in activity if e.type != "other"]
    grouping = _prf(_pairs(activity), _pairs([(a, e) for a, e in pred if e.type != "official"]))
    gold_pairs, pred_pairs = _pairs(activity), _pairs([(a, e) for a, e in pred if e.type != "official"])
    errors["grouping_missed"] = sorted(gold_pairs - pred_pairs)
    errors["grouping_spurious"] = sorted(pred_pairs - gold_pairs)

    # time and organisation of each gold activity event, via the predicted event holding most of its slots
    def same(article: str, ref, gold_ref) -> bool:
        """The same span, or a span of the same text (another mention of the same date or unit)."""
        if ref is None or gold_ref is None:
            return ref is None and gold_ref is None
        return ref == gold_ref or _text(articles[article], ref) == _text(articles[article], gold_ref)

    time_ok = org_ok = matched = no_org = spurious = 0
    time_by = Counter()
    for a, event in attached:
        held = Counter(pred_of[(a, k)] for k in event.slots if (a, k) in pred_of)
        if not held:
            continue
        other = pred[held.most_common(1)[0][0]][1]
        matched += 1
        kind = "none" if event.time is None else ("own" if event.time[0] == event.slots[0][0] else "inherited")
        time_by[kind, "total"] += 1
        if same(a, other.time, event.time):
            time_ok += 1
            time_by[kind, "correct"] += 1
        else:
            errors["time"].append((a, event.slots[0], event.time, other.time))
        if same(a, other.organization, event.organization):
            org_ok += 1
        else:
            errors["organization"].append((a, event.slots[0], event.organization, other.organization))
        if event.organization is None:
            no_org += 1
            spurious += other.organization is not None

    # officials
    def people(events: list[tuple[str, Flat]]) -> tuple[set, set]:
        titles, organisations = set(), set()
        for a, e in events:
            if e.type != "official":
                continue
            for name in (k for k in e.slots if k[3] == "OFFICIAL_NAME"):
                titles |= {(a, name, k) for k in e.slots if k[3] == "OFFICIAL_TITLE"}
                if e.organization is not None:
                    organisations.add((a, name, e.organization))
        return titles, organisations

    gold_titles, gold_orgs = people(gold)
    pred_titles, pred_orgs = people(pred)
    errors["name_title_missed"] = sorted(gold_titles - pred_titles)
    errors["name_title_spurious"] = sorted(pred_titles - gold_titles)
    errors["name_organization_missed"] = sorted(gold_orgs - pred_orgs)
    errors["name_organization_spurious"] = sorted(pred_orgs - gold_orgs)

    # values: a predicted quantity slot of the same label overlapping the gold one
    predicted_values: dict[tuple[str, int, str], list] = defaultdict(list)
    for a, e in pred:
        for key, value in e.values.items():
            predicted_values[(a, key[0], key[3])].append((key[1], key[2], value))
    value_ok = value_found = 0
    for a, e in gold:
        for key, value in e.values.items():
            candidates = [v for s, t, v in predicted_values[(a, key[0], key[3])] if s < key[2] and key[1] < t]
            if not candidates:
                continue
            value_found += 1
            if _same_value(value, candidates[0]):
                value_ok += 1
            else:
                errors["value"].append((a, key, value, candidates[0]))

    return {
        "sentences": len(records),
        "gold_events": len(gold),
        "predicted_events": len(pred),
        "gold_slots": gold_slots,
        "slots_found": typed["found"],
        "type_accuracy": _share(typed["correct"], typed["found"]),
        "grouping": grouping,
        "events_matched": matched,
        "attached_events": len(attached),
        "time": {
            **_share(time_ok, matched),
            **{
                f"{kind}_accuracy": round(time_by[kind, "correct"] / time_by[kind, "total"], 4)
                if time_by[kind, "total"]
                else None
                for kind in ("own", "inherited", "none")
            },
        },
        "organization": {
            **_share(org_ok, matched),
            "spurious": round(spurious / no_org, 4) if no_org else 0.0,
            "gold_none": no_org,
        },
        "name_title": _prf(gold_titles, pred_titles),
        "name_organization": _prf(gold_orgs, pred_orgs),
        "value_accuracy": _share(value_ok, value_found),
        "errors": {k: v for k, v in errors.items()},
    }


def evaluate_events(gold_path: str | Path, spans: str = "gold", tagger=None) -> dict:
    from annotations.events.gold import read_gold

    records = read_gold(gold_path)
    articles = articles_of(records)
    missing = sorted({r["article_id"] for r in records} - set(articles))
    if missing:
        from annotations.errors import InputError

        raise InputError(f"{gold_path}: articles not in the corpus: {', '.join(missing[:5])}")
    return score(records, predict_events(articles, spans, tagger), articles)


def _prf_line(name: str, row: dict) -> str:
    counts = f"(gold {row['gold']}, predicted {row['predicted']})"
    return f"{name:20} P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}  {counts}"


def report_lines(result: dict) -> list[str]:
    """The printed summary of ``score``'s result."""
    t, o, time, v = result["type_accuracy"], result["organization"], result["time"], result["value_accuracy"]
    found = f"({t['correct']}/{t['total']} found of {result['gold_slots']} gold slots)"
    kinds = ", ".join(f"{kind} {_fmt(time[f'{kind}_accuracy'])}" for kind in ("own", "inherited", "none"))
    return [
        f"sentences {result['sentences']}, gold events {result['gold_events']}, predicted events {result['predicted_events']}",
        f"type accuracy        {t['accuracy']:.3f}  {found}",
        _prf_line("grouping pairs", result["grouping"]),
        f"time attachment      {time['accuracy']:.3f}  ({time['correct']}/{time['total']} matched events; {kinds})",
        f"organisation         {o['accuracy']:.3f}  ({o['correct']}/{o['total']};"
        f" spurious when gold has none {o['spurious']:.3f} of {o['gold_none']})",
        _prf_line("name–title", result["name_title"]),
        _prf_line("name–organization", result["name_organization"]),
        f"value accuracy       {v['accuracy']:.3f}  ({v['correct']}/{v['total']})",
    ]


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"
