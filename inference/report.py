"""``bienphong report``: one self-contained HTML page to read extracted events against their articles.

    bienphong report --events events.jsonl INPUT... --output report.html [--low-confidence 0.6]

Each article is shown with its slot spans highlighted in the labeling config's colours
(``annotations.schema``), its events beside it (values and units, ``time.iso``, place codes), and
slots scored below ``--low-confidence`` flagged. A summary table counts events per type, province and
period (see ``inference.tables``); event-type and minimum-confidence filters run in the page itself.
The page has its CSS and script inline and loads nothing: it can be mailed or opened offline. Every
piece of text is HTML-escaped (article text is untrusted), and no text goes into the script.

Over 300 lines on purpose: the page's HTML, CSS and script are built in one place, so the
self-contained file is readable from one module.
"""

from __future__ import annotations

import argparse
import html
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from annotations.errors import BienphongError
from annotations.io import atomic_open
from annotations.schema import LABELS, SLOT_TYPES
from inference.articles import Article, BadRecord, iter_records
from inference.options import INPUT_HELP
from inference.tables import UNKNOWN, period, province, read_events

LOW_CONFIDENCE = 0.6
EVENT_TYPE_ORDER = ("patrol", "drug_seizure", "law_enforcement", "outreach", "official", "other")


@dataclass
class _Mark:
    start: int
    end: int
    label: str
    score: float | None
    events: list[str] = field(default_factory=list)  # DOM ids of the events the span belongs to


@dataclass
class _Page:
    """What the report shows, gathered before any HTML is written."""

    events: list[tuple[str, dict]]
    articles: list[Article]
    bad_records: list[BadRecord]
    low: float
    mismatched: int = 0  # spans whose text is not the article's text at their offsets


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}".replace(",", "\u202f") if isinstance(value, int) else f"{value:.6g}"


def _text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb)."""
    red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#000" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#fff"


def _label_class(label: str) -> str:
    return f"L-{label}" if label in SLOT_TYPES else "L-other"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _type_order(event_type: str) -> tuple:
    return (EVENT_TYPE_ORDER.index(event_type) if event_type in EVENT_TYPE_ORDER else len(EVENT_TYPE_ORDER), event_type)


def _spans(event: dict) -> list[dict]:
    """Every span an event points at: its slots, time, organisation and locations."""
    spans = [dict(slot, label=slot.get("label") or label) for label, values in event["slots"].items() for slot in values]
    for key, label in (("time", "TIME"), ("organization", "ORGANIZATION")):
        if event.get(key):
            spans.append(dict(event[key], label=event[key].get("label") or label))
    spans += [dict(slot, label=slot.get("label") or "LOCATION") for slot in event.get("locations") or []]
    return spans


def _marks(text: str, events: list[tuple[str, dict]], page: _Page) -> list[_Mark]:
    """Non-overlapping marks for an article's spans; a span shared by events is one mark."""
    by_range: dict[tuple[int, int, str], _Mark] = {}
    for dom_id, event in events:
        for span in _spans(event):
            start, end = span["start"], span["end"]
            if not (0 <= start < end <= len(text)) or text[start:end] != span["text"]:
                page.mismatched += 1
                continue
            mark = by_range.setdefault((start, end, span["label"]), _Mark(start, end, span["label"], span.get("score")))
            if dom_id not in mark.events:
                mark.events.append(dom_id)
    marks: list[_Mark] = []
    for mark in sorted(by_range.values(), key=lambda m: (m.start, -m.end)):
        if not marks or mark.start >= marks[-1].end:  # a span overlapping an earlier one stays only in its card
            marks.append(mark)
    return marks


def _highlighted(text: str, marks: list[_Mark], low: float) -> str:
    out, position = [], 0
    for mark in marks:
        out.append(_e(text[position : mark.start]))
        score = "" if mark.score is None else f" {mark.score:.2f}"
        flag = " low" if mark.score is not None and mark.score < low else ""
        out.append(
            f'<mark class="span {_label_class(mark.label)}{flag}" data-label="{_e(mark.label)}"'
            f' data-events="{" ".join(mark.events)}" title="{_e(mark.label + score)}">{_e(text[mark.start : mark.end])}</mark>'
        )
        position = mark.end
    out.append(_e(text[position:]))
    return "".join(out)


def _place(place: object) -> str:
    if not isinstance(place, dict) or not place.get("code"):
        reason = place.get("reason") if isinstance(place, dict) else None
        return f' <span class="muted">(not linked{": " + _e(reason) if reason else ""})</span>' if place else ""
    current = ""
    if place.get("current_code") and place.get("current_code") != place.get("code"):
        current = f" → <code>{_e(place['current_code'])}</code> {_e(place.get('current_name'))}"
    return f' <span class="place"><code>{_e(place["code"])}</code> {_e(place.get("name"))}{current}</span>'


def _slot_line(slot: dict, label: str, low: float) -> str:
    parts = [f'<span class="chip {_label_class(label)}">{_e(label)}</span> {_e(slot["text"])}']
    if slot.get("value") is not None:
        parts.append(f'→ <b class="value">{_e(_number(slot["value"]))}</b> {_e(slot.get("unit") or "")}')
    if slot.get("noun"):
        parts.append(f'<span class="muted">{_e(slot["noun"])}</span>')
    if slot.get("grams") is not None:
        parts.append(f'<span class="muted">= {_e(_number(slot["grams"]))} g</span>')
    if slot.get("dong") is not None:
        parts.append(f'<span class="muted">= {_e(_number(slot["dong"]))} đồng</span>')
    score = slot.get("score")
    flagged = score is not None and score < low
    if score is not None:
        parts.append(f'<span class="score">{score:.2f}{" ⚠" if flagged else ""}</span>')
    return f'<li class="slot{" low" if flagged else ""}">{" ".join(parts)}</li>'


def _event_card(dom_id: str, event_id: str, event: dict, low: float) -> str:
    confidence = event.get("confidence")
    key = "\t".join((event["event_type"], province(event) or UNKNOWN, period(event)))
    rows = []
    time = event.get("time")
    if time:
        iso = f" <code>{_e(time['iso'])}</code>" if time.get("iso") else ""
        flags = f' <i class="muted">unresolved: {_e(time["unresolved"])}</i>' if time.get("unresolved") else ""
        flags += " <i>inherited</i>" if time.get("inherited") else ""
        rows.append(f"<dt>time</dt><dd>{_e(time['text'])}{iso}{flags}</dd>")
    organization = event.get("organization")
    if organization:
        places = organization.get("places")
        places = "".join(_place(place) for place in places) if isinstance(places, list) else ""
        inherited = " <i>inherited</i>" if organization.get("inherited") else ""
        rows.append(f"<dt>organisation</dt><dd>{_e(organization['text'])}{inherited}{places}</dd>")
    for location in event.get("locations") or []:
        rows.append(f"<dt>place</dt><dd>{_e(location['text'])}{_place(location.get('place'))}</dd>")
    slots = "".join(
        _slot_line(slot, slot.get("label") or label, low) for label, values in event["slots"].items() for slot in values
    )
    confidence_text = "–" if confidence is None else f"{confidence:.2f}"
    return (
        f'<div class="event" id="{dom_id}" data-type="{_e(event["event_type"])}"'
        f' data-confidence="{"" if confidence is None else confidence}" data-key="{_e(key)}">'
        f'<div class="head"><span class="type">{_e(event["event_type"])}</span>'
        f' <span class="conf{" low" if confidence is not None and confidence < low else ""}"'
        f' title="lowest slot score">confidence {confidence_text}</span>'
        f' <span class="muted">{_e(event_id)}</span></div>'
        f'<dl>{"".join(rows)}</dl><ul class="slots">{slots}</ul></div>'
    )


def _summary(events: list[tuple[str, dict]]) -> str:
    counts = Counter((event["event_type"], province(event) or UNKNOWN, period(event)) for _, event in events)
    order = sorted(counts, key=lambda k: (_type_order(k[0]), k[1] == UNKNOWN, k[1], k[2] == UNKNOWN, k[2]))
    rows = "".join(
        f'<tr data-key="{_e(chr(9).join(key))}"><td>{_e(key[0])}</td><td>{_e(key[1])}</td><td>{_e(key[2])}</td>'
        f'<td class="count">{counts[key]}</td></tr>'
        for key in order
    )
    return (
        '<table id="summary"><thead><tr><th>event type</th><th>province</th><th>period</th><th>events</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _render(page: _Page) -> str:
    """The whole HTML page."""
    by_article: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)
    for number, (event_id, event) in enumerate(page.events):
        by_article[event["article_id"]].append((f"e{number}", event_id, event))
    known = {article.id for article in page.articles}

    blocks, quiet = [], []
    for article in page.articles:
        items = by_article.get(article.id, [])
        if not items:
            quiet.append(
                f'<details class="quiet"><summary>{_e(article.id)} <span class="muted">no events</span></summary>'
                f'<div class="text">{_e(article.text)}</div></details>'
            )
            continue
        marks = _marks(article.text, [(dom_id, event) for dom_id, _, event in items], page)
        cards = "".join(_event_card(dom_id, event_id, event, page.low) for dom_id, event_id, event in items)
        blocks.append(
            f'<section class="doc"><h2>{_e(article.id)} <span class="muted">{_e(article.source)}</span>'
            f' <span class="shown muted"></span></h2><div class="cols">'
            f'<div class="text">{_highlighted(article.text, marks, page.low)}</div>'
            f'<div class="events">{cards}</div></div></section>'
        )
    orphans = [
        (dom_id, event_id, event) for key, items in by_article.items() if key not in known for dom_id, event_id, event in items
    ]
    if orphans:
        cards = "".join(_event_card(dom_id, event_id, event, page.low) for dom_id, event_id, event in orphans)
        blocks.append(
            '<section class="doc"><h2>Events of articles not among the inputs <span class="shown muted"></span></h2>'
            '<div class="cols"><div class="text muted">(article text not given)</div>'
            f'<div class="events">{cards}</div></div></section>'
        )

    warnings = []
    if page.mismatched:
        warnings.append(
            f"{_count(page.mismatched, 'span')} not matching the article text at their offsets (was the article"
            " changed after extraction?): shown in their events, not highlighted."
        )
    if page.bad_records:
        shown = "; ".join(map(str, page.bad_records[:5])) + ("; ..." if len(page.bad_records) > 5 else "")
        warnings.append(f"{_count(len(page.bad_records), 'input record')} could not be read: {shown}")
    if orphans:
        warnings.append(f"{_count(len(orphans), 'event')} of articles that are not among the inputs (shown last).")

    types = sorted({event["event_type"] for _, event in page.events}, key=_type_order)
    type_boxes = "".join(
        f'<label><input type="checkbox" class="type-filter" value="{_e(t)}" checked> {_e(t)}</label>' for t in types
    )
    legend = "".join(
        f'<span class="chip {_label_class(slot.name)}" title="{_e(slot.description)}">{slot.name}</span>' for slot in LABELS
    )
    versions = sorted({str(event.get("model_version")) for _, event in page.events if event.get("model_version")})
    colours = "\n".join(f".L-{slot.name}{{background:{slot.colour};color:{_text_colour(slot.colour)}}}" for slot in LABELS)
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>bienphong report: {len(page.events)} events</title>
<style>
{_CSS}
{colours}
</style></head><body>
<h1>bienphong report</h1>
<p>{_count(len(page.events), "event")}; {len(by_article.keys() & known)} of {_count(len(page.articles), "article")}
have events. Model: {_e(", ".join(versions) or "unknown")}. Slots scored below {page.low:.2f} are flagged ⚠.</p>
<div class="legend">{legend}</div>
{"".join(f'<p class="warning">{_e(w)}</p>' for w in warnings)}
<header><form id="filters" onsubmit="return false"><span class="types">{type_boxes}</span>
<label>minimum confidence <input type="range" id="min-confidence" min="0" max="1" step="0.01" value="0">
<input type="number" id="min-confidence-value" min="0" max="1" step="0.05" value="0"></label>
<span id="visible-count" class="muted"></span></form>
</header>
<h2>Summary</h2>
{_summary(page.events)}
<main>{"".join(blocks)}
{f"<h2>Articles without events ({len(quiet)})</h2>" + "".join(quiet) if quiet else ""}</main>
<script>
{_SCRIPT}
</script></body></html>
"""


_CSS = """
body{font:14px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1400px;padding:0 16px;color:#222}
header{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:4px 0;z-index:2}
h1{margin:4px 0;font-size:20px} h2{font-size:16px;margin:16px 0 6px}
.muted{color:#777;font-weight:normal} .warning{background:#fff3cd;border:1px solid #e0c36c;padding:4px 8px;margin:4px 0}
.legend{display:flex;flex-wrap:wrap;gap:4px;margin:4px 0}
.chip{border-radius:3px;padding:0 4px;font-size:11px;font-weight:600;white-space:nowrap}
.L-other{background:#ccc;color:#000}
#min-confidence-value{width:5em}
#filters{display:flex;flex-wrap:wrap;gap:16px;align-items:center} #filters label{margin-right:8px}
table#summary{border-collapse:collapse;margin-bottom:8px}
#summary td,#summary th{border:1px solid #ccc;padding:2px 8px;text-align:left}
#summary td.count{text-align:right}
.doc{border-top:2px solid #888;margin-top:12px}
.cols{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px}
.text{white-space:pre-wrap;line-height:1.9}
mark.span{border-radius:3px;padding:1px 2px} mark.low{outline:2px dashed #d00;outline-offset:1px}
mark.dim{opacity:.25} mark.focus{box-shadow:0 0 0 3px #000}
.event{border:1px solid #ccc;border-radius:4px;padding:4px 8px;margin-bottom:8px;background:#fafafa}
.event:hover{border-color:#000} .event .type{font-weight:700}
.conf.low,.slot.low .score{color:#c00;font-weight:700}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 8px;margin:4px 0} dt{color:#777} dd{margin:0}
ul.slots{margin:4px 0;padding-left:16px} .score{color:#555;font-size:12px} code{font-size:12px}
[hidden]{display:none!important}
details.quiet{margin:4px 0}
"""

# No data is embedded here: the script reads the data-* attributes of the escaped HTML.
_SCRIPT = """
(function () {
  const boxes = Array.from(document.querySelectorAll('input.type-filter'));
  const slider = document.getElementById('min-confidence');
  const number = document.getElementById('min-confidence-value');
  const events = Array.from(document.querySelectorAll('.event'));
  function apply() {
    const allowed = new Set(boxes.filter(b => b.checked).map(b => b.value));
    const minimum = parseFloat(slider.value) || 0;
    const visible = new Set();
    const counts = new Map();
    for (const ev of events) {
      const confidence = ev.dataset.confidence === '' ? 0 : parseFloat(ev.dataset.confidence);
      const show = allowed.has(ev.dataset.type) && confidence >= minimum;
      ev.hidden = !show;
      if (show) {
        visible.add(ev.id);
        counts.set(ev.dataset.key, (counts.get(ev.dataset.key) || 0) + 1);
      }
    }
    for (const mark of document.querySelectorAll('mark.span')) {
      mark.classList.toggle('dim', !mark.dataset.events.split(' ').some(id => visible.has(id)));
    }
    for (const row of document.querySelectorAll('#summary tbody tr')) {
      const n = counts.get(row.dataset.key) || 0;
      row.querySelector('.count').textContent = n;
      row.hidden = n === 0;
    }
    for (const doc of document.querySelectorAll('.doc')) {
      const all = doc.querySelectorAll('.event').length;
      const shown = doc.querySelectorAll('.event:not([hidden])').length;
      doc.querySelector('.shown').textContent = shown + ' of ' + all + ' events shown';
    }
    document.getElementById('visible-count').textContent = visible.size + ' of ' + events.length + ' events shown';
  }
  for (const box of boxes) box.addEventListener('change', apply);
  slider.addEventListener('input', () => { number.value = slider.value; apply(); });
  number.addEventListener('input', () => { slider.value = number.value; apply(); });
  const marksOf = new Map();  // event id -> its marks, built once: hovering a card lights its spans
  for (const mark of document.querySelectorAll('mark.span')) {
    for (const id of mark.dataset.events.split(' ')) marksOf.set(id, (marksOf.get(id) || []).concat([mark]));
  }
  for (const ev of events) {
    ev.addEventListener('mouseenter', () => { for (const m of marksOf.get(ev.id) || []) m.classList.add('focus'); });
    ev.addEventListener('mouseleave', () => { for (const m of marksOf.get(ev.id) || []) m.classList.remove('focus'); });
  }
  apply();
})();
"""


def write_report(events_path: str | Path, inputs: list, output: str | Path, low: float = LOW_CONFIDENCE) -> dict[str, int]:
    """Render the report of an events file and its articles into ``output`` (atomically); returns counts."""
    output = Path(output)
    for item in [events_path, *inputs]:
        if Path(item).exists() and output.exists() and Path(item).resolve() == output.resolve():
            raise BienphongError(f"--output {output} is also an input; it would be overwritten")
    if str(output).strip() == "" or (output.exists() and not output.is_file()):
        raise BienphongError(f"--output {output} is not a plain file (empty, a folder or a device)")
    if output.parent.exists() and not output.parent.is_dir():
        raise BienphongError(f"--output {output}: {output.parent} is not a folder")
    events = list(read_events(events_path))
    articles, bad = [], []
    for record in iter_records(inputs):
        (articles if isinstance(record, Article) else bad).append(record)
    page = _Page(events, articles, bad, low)
    text = _render(page)
    with atomic_open(output) as stream:
        stream.write(text)
    return {"events": len(events), "articles": len(articles), "bad_records": len(bad), "mismatched": page.mismatched}


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, not {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {value}")
    return value


def _run(args) -> int:
    counts = write_report(args.events, args.inputs, args.output, args.low_confidence)
    print(f"report of {_count(counts['events'], 'event')} and {_count(counts['articles'], 'article')} written to {args.output}")
    if counts["mismatched"]:
        print(f"{_count(counts['mismatched'], 'span')} not matching the article text: see the report's warning")
    return 0


def add_command(commands) -> None:
    """Register ``report`` on ``commands`` (an ``add_subparsers()`` result)."""
    sub = commands.add_parser(
        "report",
        help="write one self-contained HTML page of articles with their highlighted spans and events",
        description="Write an HTML report (inline CSS and script, nothing loaded from the network): each article"
        " with its slot spans highlighted, its events beside it, low-confidence slots flagged, a summary per"
        " event type, province and period, and filters by event type and minimum confidence.",
    )
    sub.add_argument("--events", required=True, type=Path, metavar="EVENTS.jsonl", help="written by bienphong extract")
    sub.add_argument("inputs", nargs="+", metavar="INPUT", help=INPUT_HELP + " (the articles given to extract)")
    sub.add_argument("--output", required=True, type=Path, metavar="REPORT.html", help="the HTML file (written atomically)")
    sub.add_argument(
        "--low-confidence",
        type=_fraction,
        default=LOW_CONFIDENCE,
        metavar="SCORE",
        help=f"flag slots scored below this (default {LOW_CONFIDENCE})",
    )
    sub.set_defaults(run=_run)
