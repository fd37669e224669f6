"""Train the shipped models. ``python -m nlp.train claims --data ../shared/data/claimbuster``

``claims`` retrains the check-worthiness model (:mod:`nlp.claims_model`) on ClaimBuster
``train.json``, picks the regularisation ``C`` by stratified 5-fold cross-validation on train
(F1 of the check-worthy class at the model's own decision point), fits the combiner on the
out-of-fold logits, writes ``nlp/data/claims_model.json.gz`` (or ``--out``) and prints the
cross-validation figures and the figures on ``test.json`` (precision, recall, F1 at 0.5 and
average precision). ``test.json`` is only scored, never used for a choice. ``--compare`` also
prints the alternatives of the model card (docs/nlp.md). Deterministic: the same data give
the same bytes. Needs scikit-learn (a training dependency only; scoring needs none).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp.claims import sentence_features
from nlp.claims_model import BLOCKS, MODEL_FORMAT, ClaimsModel, span_features, write_model

DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "claims_model.json.gz"
C_GRID = (0.5, 1.0, 2.0)
FOLDS = 5
SEED = 0
MIN_DF = 2
# Features the debate data cannot teach (no captions, credits or sign-up prompts in a debate):
# fixed combiner weights, a documented prior (docs/nlp.md), not learned and not tuned.
PRIORS = {"boilerplate": -8.0}
MODEL_VERSION = "1"

Row = dict[str, Any]


def _identity(x: list[str]) -> list[str]:
    return x


def _sig(x: float) -> float:
    return float(f"{x:.6g}")


def load_rows(path: Path) -> list[dict[str, Any]]:
    """ClaimBuster rows ``{"text", "label"}`` (label 1 = check-worthy)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [{"text": r["text"], "label": int(r["label"])} for r in rows]


def featurize(texts: Sequence[str], progress: bool = True) -> list[Row]:
    """Parse each sentence with the pipeline's spaCy model (as one span) and read its features."""
    from nlp.pipeline import SPACY_MODEL, load_spacy

    nlp = load_spacy(SPACY_MODEL)
    out: list[Row] = []
    t0 = time.perf_counter()
    for i, doc in enumerate(nlp.pipe(texts, batch_size=64, disable=["attribution"]), 1):
        span = doc[:]
        out.append({"sparse": span_features(span), "dense": sentence_features(span)})
        if progress and i % 1000 == 0:
            print(f"  parsed {i}/{len(texts)} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return out


class TextModel:
    """Stage 1 during training: one TfidfVectorizer per block, then a linear classifier."""

    def __init__(self, blocks: Sequence[str], make_clf: Callable[[], Any]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.blocks = tuple(blocks)
        self.vecs = {
            b: TfidfVectorizer(
                analyzer=_identity, sublinear_tf=True, min_df=MIN_DF, dtype=np.float64
            )
            for b in self.blocks
        }
        self.make_clf = make_clf
        self.clf: Any = None

    def matrix(self, rows: Sequence[Row], fit: bool = False) -> Any:
        from scipy.sparse import hstack

        mats = []
        for b, v in self.vecs.items():
            docs = [r["sparse"][b] for r in rows]
            mats.append(v.fit_transform(docs) if fit else v.transform(docs))
        return hstack(mats).tocsr()

    def fit(self, rows: Sequence[Row], y: np.ndarray) -> TextModel:
        self.clf = self.make_clf().fit(self.matrix(rows, fit=True), y)
        return self

    def decision(self, rows: Sequence[Row]) -> np.ndarray:
        return np.asarray(self.clf.decision_function(self.matrix(rows)), dtype=np.float64)


def logistic(c: float) -> Callable[[], Any]:
    from sklearn.linear_model import LogisticRegression

    return lambda: LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


def figures(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float | int]:
    from sklearn.metrics import average_precision_score

    pred = scores >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {
        "count": len(y),
        "positives": int(np.sum(y == 1)),
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
        "average_precision": round(float(average_precision_score(y, scores)), 4),
    }


def _folds(y: np.ndarray, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(folds, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y))


def out_of_fold(
    rows: Sequence[Row],
    y: np.ndarray,
    blocks: Sequence[str],
    makers: Sequence[Callable[[], Any]],
    folds: int,
) -> list[np.ndarray]:
    """Out-of-fold decision values, one array per classifier maker (vectorisers per fold)."""
    oof = [np.zeros(len(y)) for _ in makers]
    for train_idx, held_idx in _folds(y, folds):
        tr = [rows[i] for i in train_idx]
        held = [rows[i] for i in held_idx]
        base = TextModel(blocks, makers[0])
        x_tr = base.matrix(tr, fit=True)
        x_held = base.matrix(held)
        for k, make in enumerate(makers):
            clf = make().fit(x_tr, y[train_idx])
            oof[k][held_idx] = clf.decision_function(x_held)
    return oof


def dense_matrix(rows: Sequence[Row], names: Sequence[str]) -> np.ndarray:
    return np.array([[r["dense"][n] for n in names] for r in rows], dtype=np.float64)


def fit_combiner(
    z: np.ndarray, rows: Sequence[Row], y: np.ndarray
) -> tuple[float, dict[str, float]]:
    """Stage 2 on out-of-fold logits + transparent features (balanced classes)."""
    from sklearn.linear_model import LogisticRegression

    names = sorted(n for n in rows[0]["dense"] if n not in PRIORS)
    x = np.column_stack([z, dense_matrix(rows, names)])
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(x, y)
    weights = {"text_logit": _sig(lr.coef_[0][0])}
    weights.update({n: _sig(w) for n, w in zip(names, lr.coef_[0][1:], strict=True)})
    weights.update(PRIORS)
    return _sig(lr.intercept_[0]), weights


def combined_scores(model: ClaimsModel, z: np.ndarray, rows: Sequence[Row]) -> np.ndarray:
    return np.array([model.combine(float(zi), r["dense"]) for zi, r in zip(z, rows, strict=True)])


def export(
    text_model: TextModel,
    bias: float,
    weights: dict[str, float],
    meta: dict[str, Any],
) -> dict[str, Any]:
    coef = text_model.clf.coef_[0]
    blocks = []
    offset = 0
    for b, v in text_model.vecs.items():
        terms = sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)
        n = len(terms)
        blocks.append(
            {
                "name": b,
                "terms": terms,
                "idf": [_sig(x) for x in v.idf_],
                "coef": [_sig(x) for x in coef[offset : offset + n]],
            }
        )
        offset += n
    return {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        **meta,
        "intercept": _sig(text_model.clf.intercept_[0]),
        "combiner": {"bias": bias, "weights": weights, "priors": sorted(PRIORS)},
        "blocks": blocks,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _print_figures(name: str, f: dict[str, float | int]) -> None:
    print(
        f"{name:44s} P={f['precision']:.3f} R={f['recall']:.3f} F1={f['f1']:.3f} "
        f"AP={f['average_precision']:.3f} (n={f['count']})"
    )


def compare(
    tr: Sequence[Row], ytr: np.ndarray, te: Sequence[Row], yte: np.ndarray, c: float
) -> None:
    """The alternatives of the model card: CV on train and figures on test for each."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    def unweighted() -> Any:
        return LogisticRegression(C=1.0, max_iter=5000)

    def svm() -> Any:
        return LinearSVC(C=0.05, class_weight="balanced")

    def dense_only(rows: Sequence[Row], y: np.ndarray) -> Any:
        names = sorted(rows[0]["dense"])
        return names, LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(
            dense_matrix(rows, names), y
        )

    alternatives: list[tuple[str, Sequence[str], Callable[[], Any]]] = [
        ("word 1-2 LR, unweighted classes", ("word",), unweighted),
        ("word 1-2 LR, balanced", ("word",), logistic(c)),
        ("word 1-2 + char 2-5 LR", ("word", "char"), logistic(c)),
        (
            "word + entword + tag + dep LR (no chars)",
            ("word", "entword", "tag", "dep"),
            logistic(c),
        ),
        ("all five blocks LR (stage 1 alone)", BLOCKS, logistic(c)),
        ("all five blocks linear SVM (C=0.05)", BLOCKS, svm),
    ]
    print("alternatives (CV F1 on train at the model's decision point; test at the same):")
    for name, blocks, make in alternatives:
        (oof,) = out_of_fold(tr, ytr, blocks, [make], FOLDS)
        m = TextModel(blocks, make).fit(tr, ytr)
        cv, test = figures(ytr, oof, 0.0), figures(yte, m.decision(te), 0.0)
        print(f"  {name:44s} CV F1={cv['f1']:.3f} AP={cv['average_precision']:.3f} | ", end="")
        print(
            f"test P={test['precision']:.3f} R={test['recall']:.3f} F1={test['f1']:.3f} AP={test['average_precision']:.3f}"
        )
    names, lr = dense_only(tr, ytr)
    s = lr.decision_function(dense_matrix(te, names))
    test = figures(yte, s, 0.0)
    print(
        f"  {'transparent features only LR':44s} test P={test['precision']:.3f} R={test['recall']:.3f} F1={test['f1']:.3f} AP={test['average_precision']:.3f}"
    )


def train_claims(
    data: Path,
    out: Path = DEFAULT_OUT,
    limit: int | None = None,
    c_grid: Sequence[float] = C_GRID,
    folds: int = FOLDS,
    do_compare: bool = False,
) -> dict[str, Any]:
    """Retrain the claims model from ``data`` (a ClaimBuster folder); returns the figures."""
    train_path, test_path = data / "train.json", data / "test.json"
    train_rows, test_rows = load_rows(train_path), load_rows(test_path)
    if limit is not None:
        # An even slice (every k-th row): the files are sorted by label.
        train_rows = train_rows[:: max(1, len(train_rows) // limit)][:limit]
        n_test = max(limit // 4, 20)
        test_rows = test_rows[:: max(1, len(test_rows) // n_test)][:n_test]
    ytr = np.array([r["label"] for r in train_rows])
    yte = np.array([r["label"] for r in test_rows])
    print(
        f"claimbuster: {len(train_rows)} train ({int(ytr.sum())} check-worthy), {len(test_rows)} test"
    )
    tr = featurize([r["text"] for r in train_rows])
    te = featurize([r["text"] for r in test_rows])

    makers = [logistic(c) for c in c_grid]
    oofs = out_of_fold(tr, ytr, BLOCKS, makers, folds)
    cv = {c: figures(ytr, oof, 0.0) for c, oof in zip(c_grid, oofs, strict=True)}
    for c in c_grid:
        print(f"CV stage 1, C={c:<4}: F1={cv[c]['f1']:.4f} AP={cv[c]['average_precision']:.4f}")
    best = max(c_grid, key=lambda c: (cv[c]["f1"], -c))
    z_oof = oofs[c_grid.index(best)]

    text_model = TextModel(BLOCKS, logistic(best)).fit(tr, ytr)
    bias, weights = fit_combiner(z_oof, tr, ytr)
    placeholder = export(text_model, bias, weights, {})
    model = ClaimsModel.from_dict(placeholder)
    cv_combined = figures(ytr, combined_scores(model, z_oof, tr), 0.5)
    z_te = text_model.decision(te)
    test_stage1 = figures(yte, z_te, 0.0)
    test_combined = figures(yte, combined_scores(model, z_te, te), 0.5)
    meta: dict[str, Any] = {
        "data": {
            "name": "ClaimBuster (Arslan et al. 2020), DOI 10.5281/zenodo.3609356",
            "train_sha256": _sha256(train_path),
            "test_sha256": _sha256(test_path),
            "train_count": len(train_rows),
            "limit": limit,
        },
        "params": {
            "blocks": list(BLOCKS),
            "min_df": MIN_DF,
            "C": best,
            "C_grid": list(c_grid),
            "folds": folds,
            "class_weight": "balanced",
        },
        "figures": {
            "cv_stage1": cv[best],
            "cv_combined": cv_combined,
            "test_stage1": test_stage1,
            "test_combined": test_combined,
        },
    }
    data_out = export(text_model, bias, weights, meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_model(data_out, out)
    n_terms = sum(len(b["terms"]) for b in data_out["blocks"])
    print(f"C={best} (by CV F1); {n_terms} terms; wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    _print_figures("CV on train (combined, threshold 0.5)", cv_combined)
    _print_figures("test, stage 1 alone (logit 0)", test_stage1)
    _print_figures("test, shipped score (threshold 0.5)", test_combined)
    if do_compare:
        compare(tr, ytr, te, yte, best)
    result: dict[str, Any] = meta["figures"]
    return result


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser(prog="python -m nlp.train", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="model", required=True)
    cl = sub.add_parser("claims", help="Retrain the check-worthiness model on ClaimBuster.")
    cl.add_argument("--data", type=Path, required=True, help="Folder with train.json and test.json")
    cl.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"Model file (default {DEFAULT_OUT})"
    )
    cl.add_argument(
        "--limit", type=int, default=None, help="Train on N sentences only (an even slice)"
    )
    cl.add_argument("--folds", type=int, default=FOLDS)
    cl.add_argument("--compare", action="store_true", help="Also score the alternatives")
    args = ap.parse_args(argv)
    if not (args.data / "train.json").is_file():
        ap.error(f"{args.data}: no train.json there")
    train_claims(args.data, args.out, args.limit, folds=args.folds, do_compare=args.compare)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
