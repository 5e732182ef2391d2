"""The ``rag`` command: ``index``, ``ask``, ``check``, ``eval``.

In: command-line arguments. Out: readable text for people or JSON lines for
machines, and an exit code (0 ok, 2 bad input or unusable index/corpus,
1 the environment: read-only index folder, full disk). Every command calls
``rag.api.RAG``; domain errors become a one-line message here, nowhere deeper.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from pathlib import Path

from rag.errors import RagError
from rag.modes import MODES, names
from rag.schema import ORIGINS, Source
from rag.serve.render import VERDICT_ICONS, provenance
from rag.settings import BACKENDS, Settings
from rag.text.lang import CLAUSE_LABELS, DIFF_LABELS, VERDICT_LABELS

QUESTION_MODES = names("question")
MODE_HELP = "; ".join(f"{m.name}: {m.help}" for m in MODES if m.kind == "question")


def _settings(args: argparse.Namespace) -> Settings:
    s = Settings(corpus_dir=Path(args.corpus), archives=tuple(map(Path, args.archive)))
    if args.backend:
        s = s.with_(backend=args.backend)
    s = s.with_index(args.index)  # for milvus, a URI names the server
    if getattr(args, "fusion", None):
        s = s.with_(fusion=args.fusion)
    return s


def cmd_index(args: argparse.Namespace) -> int:
    from rag.api import RAG

    rag = RAG(_settings(args))
    if args.ray is None:
        report = rag.index(rebuild=args.rebuild, progress=not args.quiet)
    else:
        from rag.index.ray import RayEngine

        with RayEngine(args.ray or None) as engine:  # ConfigError without the [scale] extra
            report = rag.index(rebuild=args.rebuild, progress=not args.quiet, engine=engine)
    print(report.summary())
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from rag.api import RAG

    status = RAG(_settings(args)).status()
    if status["index"] is None:
        print(f"No index in {args.index}. Build it with: rag index")
        return 2
    damage = status.pop("damage")
    for key, value in status.items():
        print(f"{key:>10}: {value}")
    for problem in damage:
        print(f"   damaged: {problem}")
    if damage:
        print("The index is damaged: run rag index to repair it.")
        return 2
    return 0


def _print_source(c, out) -> None:
    """One citation: title, outlet, province, date, article and span, then its sentence."""
    meta = ", ".join(x for x in (c.outlet, c.province, c.date or "không rõ ngày", provenance(c)) if x)
    print(f"  [{c.n}] {c.title} ({meta}) — {c.article_id}, ký tự {c.start}–{c.end}", file=out)
    print(textwrap.indent(textwrap.fill(f"“{c.sentence}”", width=96), "      "), file=out)


def _print_answer(answer, out) -> None:
    for notice in answer.notices:
        print(f"! {notice}", file=out)
    for paragraph in answer.answer.split("\n\n"):
        print(textwrap.fill(paragraph, width=100), file=out)
    if answer.reason:
        print(f"  ({answer.reason})", file=out)
    if answer.answer_mode == Source.LLM:
        print("  (câu trả lời do mô hình ngôn ngữ viết, đã kiểm chứng với các nguồn)", file=out)
    elif answer.answer_mode == Source.FALLBACK:
        print(f"  (trích nguyên văn: câu trả lời của mô hình bị loại — {answer.mode_reason})", file=out)
    sources = answer.citations or answer.related
    if sources:
        print("\nNguồn:" if answer.citations else "\nĐoạn liên quan (không phải bằng chứng):", file=out)
    for c in sources:
        _print_source(c, out)
    print(f"  ({answer.timings.get('total_ms', 0):.0f} ms)", file=out)


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.api import RAG
    from rag.filters import Filters
    from rag.index.open import index_exists
    from rag.retrieve.query import check_k, check_question

    for question in args.questions:  # bad input is refused before any model is loaded
        check_question(question)
    check_k(args.k)
    Filters.parse(args.province, args.date_from, args.date_to, origins=args.origin)
    rag = RAG(_settings(args))
    if not index_exists(rag.settings):
        print(f"No index in {rag.settings.index_dir} yet: building it now (first use)…", file=sys.stderr)
        print(rag.index(progress=True).summary(), file=sys.stderr)
    for i, question in enumerate(args.questions):
        answer = rag.ask(question, mode=args.mode, k=args.k, province=args.province, date_from=args.date_from,
                         date_to=args.date_to, include_undated=not args.exclude_undated, origins=args.origin)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            if len(args.questions) > 1:
                print(("\n" if i else "") + f"? {answer.question}")
            _print_answer(answer, sys.stdout)
    return 0


def _print_check(check, out) -> None:
    print(f"{VERDICT_ICONS[check.verdict]} {check.claim}", file=out)
    print(f"  {VERDICT_LABELS[check.language][check.verdict]}: {check.explanation}", file=out)
    if check.clause:
        print(f"  {CLAUSE_LABELS[check.language]}: {check.clause}", file=out)
    for d in check.diffs:
        print(f"  {DIFF_LABELS[check.language][d.kind]}: {d.claim} → {d.archive} [{d.citation}]", file=out)
    sources = check.citations or check.related
    if sources and not check.citations:
        print("  Đoạn liên quan (không phải bằng chứng):", file=out)
    for c in sources:
        _print_source(c, out)


def cmd_check(args: argparse.Namespace) -> int:
    from rag.api import RAG
    from rag.index.open import index_exists
    from rag.retrieve.query import check_question

    if args.file:  # decoded as the corpus is (BOM, UTF-16, cp1258); binary is refused
        from rag.ingest.clean import Undecodable, decode
        from rag.text.vietnamese import normalize_text

        try:
            draft, _ = decode(Path(args.file).read_bytes())
        except OSError as exc:
            print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        except Undecodable as exc:
            print(f"error: {args.file} is not a text draft: {exc}", file=sys.stderr)
            return 2
        texts = [normalize_text(draft)]
    else:
        texts = args.claims
    if not texts:
        print("error: give one or more claims, or --file DRAFT.txt", file=sys.stderr)
        return 2
    for text in texts:
        check_question(text)  # before any model is loaded
    rag = RAG(_settings(args))
    if not index_exists(rag.settings):
        print(f"No index in {rag.settings.index_dir} yet: building it now (first use)…", file=sys.stderr)
        print(rag.index(progress=True).summary(), file=sys.stderr)
    checks = rag.check_text(texts[0]) if args.file else [rag.check(t) for t in texts]
    for i, check in enumerate(checks):
        if args.json:
            print(json.dumps(check.to_dict(), ensure_ascii=False), flush=True)
        else:
            print("\n" if i else "", end="")
            _print_check(check, sys.stdout)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from rag.api import RAG
    from rag.evaluate.claims import is_claims_set, load_claims, run_claims_eval, write_claims_reports
    from rag.evaluate.questions import check_report_dir, load_items, run_eval, write_reports

    sets = args.set or ["eval/qa.jsonl"]
    if args.out and len(sets) > 1:
        print("error: --out takes one eval set; without it each set's report goes to eval/<set name>/", file=sys.stderr)
        return 2
    kinds, outs = {}, {}
    suffix = "" if args.mode == "extractive" else f"-{args.mode}"
    for name in sets:  # every set and report folder is checked before any model is loaded
        kinds[name] = is_claims_set(Path(name))
        (load_claims if kinds[name] else load_items)(Path(name))
        outs[name] = Path(args.out or f"eval/{Path(name).stem}{'' if kinds[name] else suffix}")
        check_report_dir(outs[name])
    rag = RAG(_settings(args))
    for name in sets:
        path = Path(name)
        if kinds[name]:
            md = write_claims_reports(run_claims_eval(rag, path, progress=not args.quiet), outs[name])
        else:
            md = write_reports(run_eval(rag, path, progress=not args.quiet, mode=args.mode), outs[name])
        print(md)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rag",
        description="Hỏi đáp trên kho bài báo tiếng Việt, trích dẫn nguyên văn. "
        "Q&A over Vietnamese news articles with verbatim citations.",
    )
    p.add_argument("--corpus", default="corpus", help="corpus folder (default: corpus)")
    p.add_argument("--index", default="index",
                   help="index folder (default: index); with --backend milvus, a URI such as "
                        "http://localhost:19530 names a Milvus server (side files then go to ./index)")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="where the index lives: faiss files (default, or $RAG_BACKEND), or milvus "
                        "(Milvus Lite file <index>/milvus.db, or a server; needs the [scale] extra)")
    p.add_argument("--archive", action="append", default=[], metavar="DIR",
                   help="also index the articles in DIR, read-only (repeatable), "
                        "e.g. --archive ../shared/archive-sample/vntc")
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = p.add_subparsers(dest="command", required=True)

    pi = sub.add_parser("index", help="build or update the index (only new/changed articles are embedded)")
    pi.add_argument("--rebuild", action="store_true", help="ignore the existing index and rebuild from scratch")
    pi.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    pi.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                    help="read, clean, chunk and embed as a Ray Data pipeline: on this machine, or on the "
                         "cluster at ADDRESS ('auto' or ray://host:port); needs the [scale] extra")
    pi.set_defaults(func=cmd_index)

    ps = sub.add_parser("status", help="show the index: articles, chunks, model, last build")
    ps.set_defaults(func=cmd_status)

    pa = sub.add_parser("ask", help="answer one or more questions (builds the index on first use)")
    pa.add_argument("questions", nargs="+", metavar="QUESTION")
    pa.add_argument("--json", action="store_true", help="one JSON object per line per question")
    pa.add_argument("--k", type=int, default=None, help="number of passages to retrieve (default 5)")
    pa.add_argument("--province", help="only search articles about this province, e.g. 'Lạng Sơn'")
    pa.add_argument("--from", dest="date_from", help="only articles dated on/after YYYY-MM-DD")
    pa.add_argument("--to", dest="date_to", help="only articles dated on/before YYYY-MM-DD")
    pa.add_argument("--exclude-undated", action="store_true",
                    help="leave out articles without a date (kept by default; shown as 'không rõ ngày')")
    pa.add_argument("--origin", action="append", default=[], choices=ORIGINS,
                    help="only articles from this source: corpus files, a read-only --archive, or UI uploads "
                         "(repeatable; default: all)")
    pa.add_argument("--fusion", choices=["weighted", "rrf"], help="score fusion (default: weighted)")
    pa.add_argument("--mode", choices=QUESTION_MODES, default=Settings.interactive_mode,
                    help=f"{MODE_HELP} (default: {Settings.interactive_mode})")
    pa.set_defaults(func=cmd_ask)

    pc = sub.add_parser("check", help=next(m.help for m in MODES if m.kind == "check"))
    pc.add_argument("claims", nargs="*", metavar="CLAIM")
    pc.add_argument("--file", help="a draft (UTF-8 text): each sentence is checked, opinions and questions are marked")
    pc.add_argument("--json", action="store_true", help="one JSON object per line per claim")
    pc.set_defaults(func=cmd_check)

    pe = sub.add_parser("eval", help="run eval sets; print and write eval/<set>/report.md + report.json")
    pe.add_argument("--set", action="append", help="eval set (JSONL; repeatable, each reported separately; "
                                                   "default eval/qa.jsonl); a claims set is scored as fact-checks")
    pe.add_argument("--out", help="folder for report.md and report.json (default: eval/<set name>/, "
                                  "eval/<set name>-llm/ for --mode llm)")
    pe.add_argument("--fusion", choices=["weighted", "rrf"], help="score fusion to evaluate")
    pe.add_argument("--mode", choices=QUESTION_MODES, default="extractive",
                    help="answer mode to evaluate on question sets (default: extractive); claims sets are checked")
    pe.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    pe.set_defaults(func=cmd_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return args.func(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(main())
