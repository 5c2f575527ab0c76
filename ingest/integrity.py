"""``--check`` and ``--repair``: does the store hold exactly what the records say?

A record names one version of a document (doc_id, content hash) and how many passages and sentences
it has. A crash, an outage or a bug can leave rows no record names (orphans: invisible to questions,
but dead weight), two rows for one position (duplicates), a version with fewer or more rows than
its record says (count mismatch), or one document named in two versions at once. ``check`` lists
these; ``repair`` deletes orphans and duplicates and re-ingests versions that are incomplete.

A version a killed run left half-written *with a progress mark* (``assistant.store.progress``) is
not damage: it is reported as unfinished (how far it got, the command that finishes it), its rows
are not orphans, and ``repair`` finishes it by resuming the ingestion. Only a mark that claims more
rows than the store holds is damage (the version is dropped and read again).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from assistant.store.progress import PartialVersion, delete_partials, list_partials
from assistant.store.store import SourceRecord, Store
from ingest.pipeline import Ingester, SyncReport, source_path

Version = tuple[str, str]  # (doc_id, content hash)


@dataclass
class CheckReport:
    records: int = 0
    passages: int = 0
    sentences: int = 0
    orphans: dict[str, Counter] = field(default_factory=lambda: {"passages": Counter(), "sentences": Counter()})
    duplicates: dict[str, list[str]] = field(default_factory=lambda: {"passages": [], "sentences": []})
    mismatches: list[tuple[Version, str, int, int]] = field(default_factory=list)  # version, what, expected, found
    split_documents: dict[str, list[str]] = field(default_factory=dict)  # doc_id -> sources naming other versions
    unfinished: list[PartialVersion] = field(default_factory=list)  # resumable: a rerun finishes them
    damaged: list[tuple[PartialVersion, str, int]] = field(default_factory=list)  # mark, what, rows found
    leftover_marks: list[PartialVersion] = field(default_factory=list)  # marks of versions already recorded

    @property
    def ok(self) -> bool:
        return not (
            any(self.orphans[k] for k in self.orphans) or any(self.duplicates.values())
            or self.mismatches or self.split_documents or self.unfinished or self.damaged or self.leftover_marks
        )

    def lines(self) -> list[str]:
        out = []
        for what, versions in self.orphans.items():
            for (doc_id, digest), n in sorted(versions.items()):
                out.append(f"orphan    {n} {what} of {doc_id} version {digest[:12]}: no record names this version")
        for what, ids in self.duplicates.items():
            if ids:
                out.append(f"duplicate {len(ids)} {what} repeat a position another row holds (e.g. {ids[0]})")
        for (doc_id, digest), what, expected, found in self.mismatches:
            out.append(
                f"mismatch  {doc_id} version {digest[:12]}: the record says {expected} {what}, the store holds {found}"
            )
        for doc_id, sources in sorted(self.split_documents.items()):
            out.append(f"split     {doc_id} is recorded in more than one version ({', '.join(sources)})")
        for mark in self.unfinished:
            out.append(
                f"unfinished {mark.source}: {mark.pages_done:,} of {mark.page_count:,} pages stored "
                f"(version {mark.content_hash[:12]}, not yet visible; an ingestion was stopped). "
                f"`python -m ingest {mark.source}` resumes it"
            )
        for mark, what, found in self.damaged:
            expected = mark.chunks if what == "passages" else mark.sentences
            out.append(
                f"mismatch  unfinished {mark.source} version {mark.content_hash[:12]}: its progress mark says "
                f"{expected} {what}, the store holds {found}"
            )
        for mark in self.leftover_marks:
            out.append(f"leftover  progress mark of {mark.source}: its version {mark.content_hash[:12]} is complete")
        return out

    def summary(self) -> str:
        state = "consistent" if self.ok else f"{len(self.lines())} problem(s)"
        return f"{self.records} records, {self.passages} passages, {self.sentences} sentences: {state}"


def _passage_position(meta: dict) -> tuple:
    return meta.get("doc_id"), meta.get("doc_hash"), meta.get("chunk_index")


def _sentence_position(meta: dict) -> tuple:
    return meta.get("doc_id"), meta.get("doc_hash"), meta.get("page"), meta.get("char_start"), meta.get("char_end")


def check(store: Store) -> CheckReport:
    """Compare every stored row with the records (reads everything; no writes)."""
    records = store.list_records()
    report = CheckReport(records=len(records))
    live = {(r.doc_id, r.content_hash) for r in records}
    marks = list_partials(store.client, store.settings).values()
    report.leftover_marks = [m for m in marks if m.version in live]
    partial = {m.version: m for m in marks if m.version not in live}
    by_version: dict[Version, SourceRecord] = {}
    by_doc: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        by_version.setdefault((rec.doc_id, rec.content_hash), rec)
        by_doc[rec.doc_id].add(rec.content_hash)
    for doc_id, hashes in by_doc.items():
        if len(hashes) > 1:
            report.split_documents[doc_id] = [r.source for r in records if r.doc_id == doc_id]
    for what, position in (("passages", _passage_position), ("sentences", _sentence_position)):
        rows = store.raw_metadata(what)
        setattr(report, what, len(rows))
        found: Counter = Counter()
        seen: dict[tuple, str] = {}
        for row_id, meta in sorted(rows):
            version = (meta.get("doc_id"), meta.get("doc_hash"))
            if version not in by_version and version not in partial:
                report.orphans[what][version] += 1
                continue
            found[version] += 1
            key = position(meta)
            if key in seen:
                report.duplicates[what].append(row_id)
            else:
                seen[key] = row_id
        for version, rec in sorted(by_version.items()):
            expected = rec.chunks if what == "passages" else int(rec.extra.get("sentences", 0))
            if found[version] != expected:
                report.mismatches.append((version, what, expected, found[version]))
        for version, mark in sorted(partial.items()):
            # Rows past the mark are the window a killed run was writing: the resume rewrites them.
            if found[version] < (mark.chunks if what == "passages" else mark.sentences):
                report.damaged.append((mark, what, found[version]))
    damaged = {m.source for m, *_ in report.damaged}
    report.unfinished = [m for _, m in sorted(partial.items()) if m.source not in damaged]
    return report


def repair(ingester: Ingester, report: CheckReport) -> tuple[list[str], SyncReport | None]:
    """Fix what ``report`` found; returns what was done and the re-ingestion's report, if any."""
    store = ingester.store
    done: list[str] = []
    with ingester.writing():
        records = store.list_records()
        live = {(r.doc_id, r.content_hash) for r in records}
        delete_partials(store.client, store.settings, [m.source for m in report.leftover_marks])
        done += [f"deleted the progress mark of {m.source} (its version is complete)" for m in report.leftover_marks]
        for mark in {m.source: m for m, *_ in report.damaged}.values():  # the mark first, then its rows
            delete_partials(store.client, store.settings, [mark.source])
            store.delete_version(*mark.version)
            done.append(f"dropped the unfinished version {mark.content_hash[:12]} of {mark.source}: rows are missing")
        resumable = {m.version for m in report.unfinished}
        if any(report.orphans.values()):
            store.delete_versions_except(live | resumable)
            done.append(f"deleted {sum(report.orphans['passages'].values())} orphan passages and "
                        f"{sum(report.orphans['sentences'].values())} orphan sentences")
        if any(report.duplicates.values()):
            store.delete_ids(report.duplicates["passages"], report.duplicates["sentences"])
            done.append(f"deleted {len(report.duplicates['passages'])} duplicate passages and "
                        f"{len(report.duplicates['sentences'])} duplicate sentences")
        broken = {version for version, *_ in report.mismatches}
        for doc_id in report.split_documents:  # keep the newest version; the others are re-read
            newest = max((r for r in records if r.doc_id == doc_id), key=lambda r: r.ingested_at)
            broken |= {(r.doc_id, r.content_hash) for r in records if r.doc_id == doc_id and r is not newest}
        again: list[Path] = []
        for doc_id, digest in sorted(broken):
            sources = [r.source for r in records if (r.doc_id, r.content_hash) == (doc_id, digest)]
            store.delete_records(sources)
            done.append(f"dropped the incomplete version {digest[:12]} of {doc_id} ({', '.join(sources)})")
            again += [source_path(s) for s in sources if source_path(s).is_file()]
        if broken:
            store.delete_versions_except((live - broken) | resumable)
        for mark in [m for m, *_ in report.damaged] + report.unfinished:
            path = source_path(mark.source)
            if path.is_file() and path not in again:
                again.append(path)
                if mark in report.unfinished:
                    done.append(f"resuming {mark.source} after page {mark.pages_done:,} of {mark.page_count:,}")
            elif not path.is_file() and mark in report.unfinished:  # nothing left to resume from
                delete_partials(store.client, store.settings, [mark.source])
                store.delete_version(*mark.version)
                done.append(f"dropped the unfinished version of {mark.source}: the file is gone")
    synced = ingester.sync(again, prune=False) if again else None
    if synced:
        outcomes = ", ".join(f"{o.source} {o.status}" for o in synced.outcomes)
        done.append(f"re-ingested {len(again)} file(s): {outcomes}")
    return done, synced
