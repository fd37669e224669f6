"""Score a pipeline against hand-written gold: quotes (:func:`evaluate`) and check-worthy
claims (:func:`evaluate_claims`); formats in docs/nlp.md.

Claims: every gold sentence is scored by the pipeline's candidate (sentence) covering most of
it (at least half of it, or the gold sentence counts as scored 0); it is predicted a claim when
that score is ≥ the threshold. Average precision ranks all gold sentences by score (ties
grouped, as scikit-learn's ``average_precision_score``).

Quotes:
Matching: a predicted quote matches a gold quote when their character spans overlap by at
least half of the longer span; matching is one-to-one, greedy by overlap. Per kind (direct,
indirect, mixed) only quotes of that kind are matched; for "all" the kind is ignored.
Speaker accuracy is measured over the quotes matched for "all": a named gold speaker is right
when the predicted entity's canonical name or the predicted speaker text names the same person
(case/accent-insensitive; equal, same last word, or one name's words contained in the other's);
an unnamed gold speaker (null) is right when no entity is predicted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

from nlp.entities import name_tokens
from nlp.types import Annotations, ArticleTopic, Claim, Quote

KINDS = ("direct", "indirect", "mixed")
MIN_OVERLAP = 0.5


def shipped_gold(name: str) -> Path:
    """A gold file shipped inside the package (``nlp/data/gold/NAME``), wherever it is installed."""
    return Path(str(files("nlp") / "data" / "gold" / name))


class Annotator(Protocol):
    def annotate_many(self, texts: Sequence[str], batch_size: int = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class GoldQuote:
    article: str
    kind: str
    start: int
    end: int
    text: str
    speaker: str | None
    speaker_text: str | None
    cue: str | None


@dataclass
class KindScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class EvalReport:
    scores: dict[str, KindScore] = field(
        default_factory=lambda: {k: KindScore() for k in (*KINDS, "all")}
    )
    speaker_total: int = 0
    speaker_correct: int = 0
    named_speaker_total: int = 0
    named_speaker_correct: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_correct / self.speaker_total if self.speaker_total else 0.0

    @property
    def named_speaker_accuracy(self) -> float:
        return (
            self.named_speaker_correct / self.named_speaker_total
            if self.named_speaker_total
            else 0.0
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": {k: v.to_dict() for k, v in self.scores.items()},
            "speaker_accuracy": round(self.speaker_accuracy, 4),
            "speaker_total": self.speaker_total,
            "named_speaker_accuracy": round(self.named_speaker_accuracy, 4),
            "named_speaker_total": self.named_speaker_total,
            "errors": self.errors,
        }


def load_gold(gold: Mapping[str, Any], texts: Mapping[str, str]) -> dict[str, list[GoldQuote]]:
    """Resolve gold quote texts to character spans in ``texts`` (the article bodies)."""
    articles = gold.get("articles", gold)
    out: dict[str, list[GoldQuote]] = {}
    for article, quotes in articles.items():
        body = texts[article]
        resolved = []
        for q in quotes:
            start = -1
            for _ in range(int(q.get("occurrence", 0)) + 1):
                start = body.find(q["text"], start + 1)
                if start < 0:
                    raise ValueError(f"{article}: gold text not in body: {q['text'][:60]!r}")
            resolved.append(
                GoldQuote(
                    article, q["kind"], start, start + len(q["text"]), q["text"],
                    q.get("speaker"), q.get("speaker_text"), q.get("cue"),
                )
            )  # fmt: skip
        out[article] = resolved
    return out


def span_overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    longest = max(a[1] - a[0], b[1] - b[0])
    return inter / longest if inter > 0 and longest > 0 else 0.0


def match(gold: Sequence[GoldQuote], pred: Sequence[Quote]) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs, greedy by overlap."""
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            ov = span_overlap((g.start, g.end), (p.start, p.end))
            if ov >= MIN_OVERLAP:
                pairs.append((ov, gi, pi))
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _ov, gi, pi in sorted(pairs, reverse=True):
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            out.append((gi, pi))
    return out


def same_speaker(gold_name: str, candidates: Sequence[str]) -> bool:
    """Does any candidate name the gold speaker (last-name or contained-name match allowed)?"""
    g = name_tokens(gold_name, "PERSON")
    for cand in candidates:
        c = name_tokens(cand, "PERSON")
        if not g or not c:
            continue
        if g == c or g[-1] == c[-1]:
            return True
        short, long_ = (g, c) if len(g) <= len(c) else (c, g)
        if set(short) <= set(long_):
            return True
    return False


def _score_article(
    report: EvalReport, article: str, gold: list[GoldQuote], ann: Annotations
) -> None:
    pred = list(ann.quotes)
    names = {e.key: e.name for e in ann.entities}
    for kind in KINDS:
        g_k = [g for g in gold if g.kind == kind]
        p_k = [p for p in pred if p.kind == kind]
        n = len(match(g_k, p_k))
        s = report.scores[kind]
        s.tp += n
        s.fp += len(p_k) - n
        s.fn += len(g_k) - n
    pairs = match(gold, pred)
    s = report.scores["all"]
    s.tp += len(pairs)
    s.fp += len(pred) - len(pairs)
    s.fn += len(gold) - len(pairs)
    matched_g = {gi for gi, _ in pairs}
    matched_p = {pi for _, pi in pairs}
    for gi, pi in pairs:
        g, p = gold[gi], pred[pi]
        report.speaker_total += 1
        if g.speaker is None:
            ok = p.speaker_key is None
        else:
            report.named_speaker_total += 1
            cands = [c for c in (names.get(p.speaker_key or ""), p.speaker_text) if c]
            ok = same_speaker(g.speaker, cands)
            report.named_speaker_correct += ok
        report.speaker_correct += ok
        if not ok or g.kind != p.kind:
            report.errors.append(
                {
                    "article": article, "error": "speaker" if not ok else "kind",
                    "gold_kind": g.kind, "pred_kind": p.kind, "text": g.text[:80],
                    "gold_speaker": g.speaker,
                    "pred_speaker": names.get(p.speaker_key or "") or p.speaker_text,
                }
            )  # fmt: skip
    for gi, g in enumerate(gold):
        if gi not in matched_g:
            report.errors.append(
                {"article": article, "error": "missed", "gold_kind": g.kind, "text": g.text[:80]}
            )
    for pi, p in enumerate(pred):
        if pi not in matched_p:
            report.errors.append(
                {"article": article, "error": "spurious", "pred_kind": p.kind, "text": p.text[:80]}
            )


def evaluate(
    pipeline: Annotator,
    gold: Mapping[str, Any],
    texts: Mapping[str, str],
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalReport:
    """Annotate the gold articles' ``texts`` (bodies) with ``pipeline`` and score the quotes."""
    resolved = load_gold(gold, texts)
    articles = list(resolved)
    report = EvalReport()
    annotations = pipeline.annotate_many([texts[a] for a in articles])
    for done, (article, ann) in enumerate(zip(articles, annotations, strict=True), start=1):
        _score_article(report, article, resolved[article], ann)
        if progress is not None:
            progress(article, done, len(articles))
    return report


# -- claims -------------------------------------------------------------------------------

# 1/0 also match True/False (equal hashes).
CLAIM_LABELS: dict[object, bool] = {"claim": True, "not_claim": False, 1: True, 0: False}


class ClaimScorer(Protocol):
    def claim_candidates_many(self, texts: Sequence[str], batch_size: int = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class GoldClaim:
    article: str
    start: int
    end: int
    text: str
    label: bool


@dataclass
class ClaimsReport:
    """Precision/recall/F1 of the claim class at ``threshold`` and average precision."""

    threshold: float
    labels: list[bool] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    items: list[GoldClaim] = field(default_factory=list)

    def _counts(self, threshold: float) -> tuple[int, int, int]:
        tp = fp = fn = 0
        for y, s in zip(self.labels, self.scores, strict=True):
            if s >= threshold:
                tp += y
                fp += not y
            else:
                fn += y
        return tp, fp, fn

    def at(self, threshold: float) -> dict[str, float | int]:
        tp, fp, fn = self._counts(threshold)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {
            "threshold": threshold, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
        }  # fmt: skip

    @property
    def count(self) -> int:
        return len(self.labels)

    @property
    def positives(self) -> int:
        return sum(self.labels)

    @property
    def precision(self) -> float:
        return float(self.at(self.threshold)["precision"])

    @property
    def recall(self) -> float:
        return float(self.at(self.threshold)["recall"])

    @property
    def f1(self) -> float:
        return float(self.at(self.threshold)["f1"])

    @property
    def average_precision(self) -> float:
        return average_precision(self.labels, self.scores)

    def calibration(self, bins: int = 5) -> list[dict[str, Any]]:
        """Per score bin [k/bins, (k+1)/bins): how many sentences, mean score, share of claims."""
        out = []
        for k in range(bins):
            lo, hi = k / bins, (k + 1) / bins
            sel = [
                (y, s)
                for y, s in zip(self.labels, self.scores, strict=True)
                if lo <= s < hi or (k == bins - 1 and s == 1.0)
            ]
            out.append(
                {
                    "bin": f"{lo:.1f}-{hi:.1f}", "count": len(sel),
                    "mean_score": round(sum(s for _, s in sel) / len(sel), 4) if sel else 0.0,
                    "claim_rate": round(sum(y for y, _ in sel) / len(sel), 4) if sel else 0.0,
                }
            )  # fmt: skip
        return out

    def errors(self, limit: int = 20) -> list[dict[str, Any]]:
        """The most confident mistakes: false positives and false negatives, worst first."""
        rows = [
            {"article": g.article, "error": "false_positive" if s >= self.threshold else
             "false_negative", "score": round(s, 4), "text": g.text[:120]}
            for g, y, s in zip(self.items, self.labels, self.scores, strict=True)
            if (s >= self.threshold) != y
        ]  # fmt: skip
        rows.sort(key=lambda r: -abs(float(r["score"]) - self.threshold))
        return rows[:limit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "positives": self.positives,
            **self.at(self.threshold),
            "average_precision": round(self.average_precision, 4),
            "thresholds": [self.at(t) for t in (0.3, 0.4, 0.5, 0.6, 0.7)],
            "calibration": self.calibration(),
            "errors": self.errors(),
        }


def average_precision(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Σ (R_k − R_{k−1}) · P_k over distinct score thresholds, highest first."""
    total = sum(labels)
    if not total:
        return 0.0
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    ap = 0.0
    tp = seen = 0
    prev_recall = 0.0
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and scores[order[j]] == scores[order[i]]:
            tp += labels[order[j]]
            seen += 1
            j += 1
        recall = tp / total
        ap += (recall - prev_recall) * (tp / seen)
        prev_recall = recall
        i = j
    return ap


def load_claim_gold(
    gold: Any, texts: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[GoldClaim]]:
    """Article bodies and gold sentences from a claim gold file's JSON.

    Accepted: the project's format (``{"articles": {name: [{"text", "label"}, ...]}}``, labels
    ``claim``/``not_claim``), whose bodies are ``texts[name]`` when given (the seeds) or else
    the sentences joined by blank lines; and ClaimBuster's (a list of ``{"text", "label"}``,
    label 1 = check-worthy), each sentence its own text.
    """
    texts = texts or {}
    bodies: dict[str, str] = {}
    items: list[GoldClaim] = []
    if isinstance(gold, list):
        for i, row in enumerate(gold):
            text = str(row.get("text", row.get("sentence", "")))
            name = f"sentence-{row.get('sentence_id', i)}"
            bodies[name] = text
            items.append(GoldClaim(name, 0, len(text), text, _label(row)))
        return bodies, items
    if not isinstance(gold, Mapping) or not isinstance(gold.get("articles"), Mapping):
        raise ValueError("not a claim gold file (see docs/nlp.md)")
    for name, sentences in gold["articles"].items():
        body = texts.get(name)
        if body is None:
            body = "\n\n".join(str(s["text"]) for s in sentences)
        bodies[name] = body
        pos = 0
        for s in sentences:
            start = body.find(s["text"], pos)
            if start < 0:
                raise ValueError(f"{name}: gold sentence not in the text: {s['text'][:60]!r}")
            pos = start + len(s["text"])
            items.append(GoldClaim(name, start, pos, s["text"], _label(s)))
    return bodies, items


def _label(row: Mapping[str, Any]) -> bool:
    try:
        return CLAIM_LABELS[row["label"]]
    except (KeyError, TypeError):
        raise ValueError(f"bad claim label in {row!r}") from None


def covering_score(item: GoldClaim, candidates: Sequence[Claim]) -> float:
    """The score of the candidate covering most of the gold sentence (0 if none covers half)."""
    best, best_overlap = 0.0, 0
    for c in candidates:
        overlap = min(item.end, c.end) - max(item.start, c.start)
        if overlap > best_overlap:
            best, best_overlap = c.score, overlap
    return best if best_overlap >= 0.5 * (item.end - item.start) else 0.0


def evaluate_claims(
    scorer: ClaimScorer,
    gold: Any,
    texts: Mapping[str, str] | None = None,
    threshold: float = 0.5,
    progress: Callable[[str, int, int], None] | None = None,
) -> ClaimsReport:
    """Score ``scorer`` (a :class:`nlp.pipeline.Pipeline`) on a claim gold file's JSON."""
    bodies, items = load_claim_gold(gold, texts)
    by_article: dict[str, list[GoldClaim]] = {}
    for it in items:
        by_article.setdefault(it.article, []).append(it)
    names = list(by_article)
    report = ClaimsReport(threshold)
    candidates = scorer.claim_candidates_many([bodies[n] for n in names])
    for done, (name, cands) in enumerate(zip(names, candidates, strict=True), start=1):
        for it in by_article[name]:
            report.items.append(it)
            report.labels.append(it.label)
            report.scores.append(covering_score(it, cands))
        if progress is not None and (done % 50 == 0 or done == len(names)):
            progress(name, done, len(names))
    return report


# -- topics -----------------------------------------------------------------------------------
#
# Gold (tests/nlp/gold/topics_dev.json): {"articles": [{"id", "top", "top_slug", "specific",
# "specific_slug", "text"}]}; "top"/"specific" are IPTC codes (slugs for custom topics), and
# "specific" may be null. A prediction is an article's ranked ``ArticleTopic``s; its top-level
# topics (depth 0) in order are what top-1/top-3 are measured on.


@dataclass
class TopicEvalReport:
    """Top-1/top-3 accuracy of the top-level topic, per-topic P/R of the first-ranked one, and
    how often the gold specific topic is among the predicted specific topics."""

    total: int = 0
    top1: int = 0
    top3: int = 0
    no_topic: int = 0
    specific_total: int = 0
    specific_found: int = 0
    per_topic: dict[str, KindScore] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    confusions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_accuracy(self) -> float:
        return self.top3 / self.total if self.total else 0.0

    @property
    def specific_recall(self) -> float:
        return self.specific_found / self.specific_total if self.specific_total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.total,
            "top1_accuracy": round(self.accuracy, 4),
            "top3_accuracy": round(self.top3_accuracy, 4),
            "no_topic": self.no_topic,
            "specific_total": self.specific_total,
            "specific_recall": round(self.specific_recall, 4),
            "per_topic": {
                k: {"name": self.names.get(k, k), **v.to_dict()}
                for k, v in sorted(self.per_topic.items())
            },
            "confusions": self.confusions,
        }


def _topic_key(code: str | None, slug: str | None) -> str:
    return code or slug or ""


def _score_topics(
    report: TopicEvalReport, article: Mapping[str, Any], pred: Sequence[ArticleTopic]
) -> None:
    gold_top = _topic_key(article.get("top"), article.get("top_slug"))
    tops = [p for p in pred if p.depth == 0]
    keys = [_topic_key(p.iptc_code, p.slug) for p in tops]
    for p in tops:
        report.names.setdefault(_topic_key(p.iptc_code, p.slug), p.name)
    report.names.setdefault(gold_top, str(article.get("top_slug") or gold_top))
    first = keys[0] if keys else None
    report.total += 1
    report.no_topic += first is None
    for key in {gold_top, *([first] if first else [])}:
        report.per_topic.setdefault(key, KindScore())
    if first == gold_top:
        report.top1 += 1
        report.per_topic[gold_top].tp += 1
    else:
        report.per_topic[gold_top].fn += 1
        if first is not None:
            report.per_topic[first].fp += 1
        report.confusions.append(
            {
                "id": article.get("id"),
                "gold": article.get("top_slug") or gold_top,
                "predicted": [(p.slug, p.score) for p in tops[:3]],
            }
        )
    report.top3 += gold_top in keys[:3]
    gold_spec = _topic_key(article.get("specific"), article.get("specific_slug"))
    if gold_spec:
        report.specific_total += 1
        report.specific_found += any(
            _topic_key(p.iptc_code, p.slug) == gold_spec for p in pred if p.depth > 0
        )


def topic_report_lines(report: TopicEvalReport) -> list[str]:
    """A plain-text summary of a topic evaluation (what ``article-store eval topics`` prints)."""
    lines = [
        f"articles: {report.total}  top-1 accuracy: {report.accuracy:.3f} ({report.top1})  "
        f"top-3: {report.top3_accuracy:.3f} ({report.top3})  no topic: {report.no_topic}",
        f"specific topic found: {report.specific_recall:.3f} "
        f"({report.specific_found}/{report.specific_total})",
        "",
        f"{'top-level topic':56} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}",
    ]
    for key, s in sorted(report.per_topic.items(), key=lambda kv: report.names.get(kv[0], kv[0])):
        name = f"{report.names.get(key, key)} ({key})"[:56]
        lines.append(
            f"{name:56} {s.tp:4} {s.fp:4} {s.fn:4} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}"
        )
    if report.confusions:
        lines += ["", "confusions (gold -> ranked predictions):"]
        for c in report.confusions:
            ranked = ", ".join(f"{slug} {score:.2f}" for slug, score in c["predicted"])
            lines.append(f"  {c['id']}: {c['gold']} -> {ranked or 'none'}")
    return lines


def evaluate_topics(
    gold: Mapping[str, Any],
    classify: Callable[[Sequence[str]], Iterable[Sequence[ArticleTopic]]] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TopicEvalReport:
    """Score article topics against ``gold`` (the topics_dev.json shape).

    ``classify`` maps the article texts to their ranked topics, in order (e.g.
    ``lambda texts: (a.topics for a in pipeline.annotate_many(texts))``); by default the shipped
    taxonomy's classifier on the text alone (:func:`nlp.topic_classifier.classify_article`).
    """
    articles = list(gold["articles"])
    if classify is None:
        from nlp.topic_classifier import default_index

        index = default_index()

        def classify(texts: Sequence[str]) -> Iterable[Sequence[ArticleTopic]]:
            return (index.classify_article(t) for t in texts)

    report = TopicEvalReport()
    preds = classify([a["text"] for a in articles])
    for done, (article, pred) in enumerate(zip(articles, preds, strict=True), start=1):
        _score_topics(report, article, pred)
        if progress is not None:
            progress(str(article.get("id")), done, len(articles))
    return report


def evaluate_claim_topics(gold: Mapping[str, Any], index: Any = None) -> dict[str, Any]:
    """Score claim topics against ``gold`` (tests/nlp/gold/claim_topics.json: claims with the
    top-level topic of their article, ``article_top``, and of the claim itself, ``top``).

    Each claim is classified with its article's topic as context. ``first`` = the top-level
    topic of the first-ranked match is the gold one; ``recall`` = the gold top-level topic is
    among the claim's; ``precision`` = share of predicted top-level topics that are the gold
    one; ``own`` = the claim has a topic of its own (not inherited).
    """
    from nlp.topic_classifier import MIN_CLAIM_SCORE, default_index

    ix = index or default_index()
    n = first = recall = own = 0
    predicted = correct = 0
    errors = []
    for c in gold["claims"]:
        top = c["article_top"]
        node = ix.topics[ix.by_slug[top]]
        context = (ArticleTopic(top, node.iptc_code, node.name, 0.7, 0, top),)
        matches = ix.classify_claim(c["text"], (), context)
        roots = [ix.topics[ix.nodes[ix.by_slug[m.slug]].root].slug for m in matches]
        tops = list(dict.fromkeys(roots))
        n += 1
        first += bool(roots) and roots[0] == c["top"]
        recall += c["top"] in tops
        own += any(m.score >= MIN_CLAIM_SCORE for m in matches)
        predicted += len(tops)
        correct += c["top"] in tops
        if not roots or roots[0] != c["top"]:
            errors.append({"id": c.get("id"), "gold": c["top"], "predicted": tops})
    return {
        "claims": n,
        "first_accuracy": round(first / n, 4) if n else 0.0,
        "recall": round(recall / n, 4) if n else 0.0,
        "precision": round(correct / predicted, 4) if predicted else 0.0,
        "own_topic": round(own / n, 4) if n else 0.0,
        "errors": errors,
    }


__all__ = [
    "ClaimsReport",
    "EvalReport",
    "GoldClaim",
    "GoldQuote",
    "KindScore",
    "TopicEvalReport",
    "average_precision",
    "evaluate",
    "evaluate_claim_topics",
    "evaluate_claims",
    "evaluate_topics",
    "load_claim_gold",
    "load_gold",
    "same_speaker",
    "span_overlap",
    "topic_report_lines",
]
