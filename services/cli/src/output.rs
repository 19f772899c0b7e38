//! How results look: plain text for people, `--json` for programs, a
//! progress bar on a terminal and plain lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use seogo_docs::parse::Parsed;
use seogo_docs::Fact;
use seogo_engine::answer::Answer;
use seogo_engine::ingest::{IngestReport, Progress};
use seogo_engine::retrieve::SearchResult;
use seogo_engine::sync::{FetchReport, SourceStatus, SyncReport};
use seogo_engine::ChunkCounts;
use seogo_eval::answers::{AnswerEvalReport, Rate};
use seogo_eval::calibrate::CalibrationReport;
use seogo_eval::tune::{HeldOut, Setting, TuneReport};
use seogo_eval::EvalReport;

/// Ingest progress on stderr.
pub struct ProgressReporter {
    bar: Option<ProgressBar>,
    done: usize,
    total: usize,
    last_line: Instant,
}

impl ProgressReporter {
    pub fn new() -> Self {
        Self {
            bar: None,
            done: 0,
            total: 0,
            last_line: Instant::now(),
        }
    }

    pub fn update(&mut self, p: Progress) {
        match p {
            Progress::Planned { files, chunks } => {
                self.total = chunks;
                if std::io::stderr().is_terminal() {
                    let bar = ProgressBar::new(chunks as u64);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} indexing [{bar:30}] {pos}/{len} chunks  {per_sec}  eta {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                    self.bar = Some(bar);
                } else {
                    eprintln!("seogo: {files} files, {chunks} chunks to index");
                }
            }
            Progress::Indexed { chunks } => {
                self.done += chunks;
                match &self.bar {
                    Some(bar) => bar.inc(chunks as u64),
                    None if self.last_line.elapsed() > Duration::from_secs(5)
                        || self.done == self.total =>
                    {
                        eprintln!("seogo: indexed {}/{} chunks", self.done, self.total);
                        self.last_line = Instant::now();
                    }
                    None => {}
                }
            }
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Runs `work` with its indexing progress shown on stderr; the bar is
/// cleared before the result (or error) is printed.
pub fn with_progress<T, E>(
    work: impl FnOnce(&mut dyn FnMut(Progress)) -> Result<T, E>,
) -> Result<T, E> {
    let mut progress = ProgressReporter::new();
    let result = work(&mut |p| progress.update(p));
    progress.finish();
    result
}

pub fn print_ingest(report: &IngestReport, json: bool) -> anyhow::Result<()> {
    for w in &report.warnings {
        eprintln!("seogo: warning: {w}");
    }
    for f in &report.failures {
        eprintln!("seogo: failed: {}: {}", f.path, f.error);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        println!(
            "{} files: {} added, {} updated, {} unchanged, {} removed, {} chunks written, {} failed",
            report.files,
            report.added,
            report.updated,
            report.unchanged,
            report.removed,
            report.chunks_written,
            report.failures.len()
        );
    }
    Ok(())
}

/// A sync: what the API fetch did (if the source has one), then the ingest.
pub fn print_sync(report: &SyncReport, json: bool) -> anyhow::Result<()> {
    if let Some(fetch) = &report.fetch {
        for f in &fetch.failed {
            eprintln!("seogo: fetch failed: {}: {}", f.id, f.reason);
        }
        if !json {
            println!("{}", fetch_line(fetch));
        }
    }
    if json {
        for w in &report.ingest.warnings {
            eprintln!("seogo: warning: {w}");
        }
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    print_ingest(&report.ingest, false)
}

fn fetch_line(fetch: &FetchReport) -> String {
    format!(
        "fetched: {} listed, {} downloaded, {} unchanged, {} removed, {} failed",
        fetch.listed,
        fetch.downloaded,
        fetch.unchanged,
        fetch.removed,
        fetch.failed.len()
    )
}

/// "title · p. 12 · 3. 점검 절차 > 3.2 베어링 점검 (section 0 · paragraph 7)".
fn location(title: &str, section: &str, page: Option<u32>, locator: Option<&str>) -> String {
    let mut s = title.to_string();
    if let Some(p) = page {
        s.push_str(&format!(" · p. {p}"));
    }
    if !section.is_empty() {
        s.push_str(" · ");
        s.push_str(section);
    }
    if let Some(at) = locator {
        s.push_str(&format!(" ({at})"));
    }
    s
}

/// The file a chunk came from (its name; the full path is in the id).
fn file_name(source: &str) -> &str {
    source.rsplit(['/', '\\']).next().unwrap_or(source)
}

pub fn print_search(results: &[SearchResult], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(results)?);
        return Ok(());
    }
    if results.is_empty() {
        println!("no results");
    }
    for r in results {
        let c = &r.chunk;
        // Highlights in bold on a terminal, **like this** otherwise.
        let (open, close) = if std::io::stdout().is_terminal() {
            ("\x1b[1m", "\x1b[0m")
        } else {
            ("**", "**")
        };
        let snippet = match &r.snippet {
            Some(s) => s.marked(open, close),
            None => c.text.chars().take(160).collect(),
        };
        let snippet = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        println!(
            "{:>2}. {:.4}  {} · {}\n    {}\n    {}",
            r.rank,
            r.score,
            file_name(&c.source),
            location(&c.title, &c.section_label(), c.page, c.locator.as_deref()),
            snippet,
            c.id
        );
    }
    Ok(())
}

pub fn print_answer(answer: &Answer, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(answer)?);
        return Ok(());
    }
    if let Some(q) = &answer.standalone_question {
        println!("({q})");
    }
    println!("{}", answer.answer);
    let listed = |cs: &[seogo_engine::answer::Citation]| {
        for c in cs {
            println!(
                "[{}] {}",
                c.n,
                location(&c.title, &c.section, c.page, c.locator.as_deref())
            );
            println!("    \"{}\"", c.quote);
        }
    };
    if !answer.citations.is_empty() {
        println!();
        listed(&answer.citations);
    }
    if !answer.closest.is_empty() {
        println!();
        println!("closest passages (not an answer):");
        listed(&answer.closest);
    }
    Ok(())
}

pub fn print_eval(report: &EvalReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
        return Ok(());
    }
    println!(
        "{} ({} queries, analyzer {})",
        report.dataset, report.queries, report.analyzer
    );
    if let Some(ix) = &report.indexing {
        println!(
            "indexed {} chunks ({:.1} MB) in {:.1} s",
            ix.chunks, ix.megabytes, ix.seconds
        );
    }
    println!("mode     nDCG@10  R@3     R@5     R@10    R@100   MRR@10  p50 ms  p99 ms");
    for (mode, m) in &report.modes {
        println!(
            "{mode:<8} {:.4}   {:.4}  {:.4}  {:.4}  {:.4}  {:.4}  {:>6.1}  {:>6.1}",
            m.ndcg_10,
            m.recall_3,
            m.recall_5,
            m.recall_10,
            m.recall_100,
            m.mrr_10,
            m.latency_ms.p50,
            m.latency_ms.p99
        );
    }
    for (domain, modes) in &report.by_domain {
        for (mode, m) in modes {
            println!(
                "  {domain:<12} {mode:<8} nDCG@10 {:.4}  MRR@10 {:.4}",
                m.ndcg_10, m.mrr_10
            );
        }
    }
    Ok(())
}

pub fn print_parsed(parsed: &Parsed, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(parsed)?);
        return Ok(());
    }
    println!(
        "{} ({}), {} document(s)",
        parsed.format,
        parsed.encoding,
        parsed.documents.len()
    );
    for w in &parsed.warnings {
        println!("warning: {w}");
    }
    for doc in parsed.documents.iter().take(20) {
        println!("{}  [{}]", doc.title, doc.id);
        for (key, value) in &doc.metadata {
            println!("  {key}: {value}");
        }
        for s in &doc.sections {
            let page = s.page.map(|p| format!(" · p. {p}")).unwrap_or_default();
            let at = s
                .locator
                .as_ref()
                .map(|l| format!(" · {l}"))
                .unwrap_or_default();
            let kind = match &s.table {
                Some(t) => format!("table {}×{}", t.rows.len(), t.width()),
                None => format!("{} chars", s.text.chars().count()),
            };
            let preview: String = s.text.split_whitespace().collect::<Vec<_>>().join(" ");
            let preview: String = preview.chars().take(100).collect();
            println!(
                "  {}{page}{at} ({kind})\n    {preview}",
                s.heading_path.join(" > "),
            );
        }
    }
    Ok(())
}

/// One collection in `seogo status`.
#[derive(Debug, serde::Serialize)]
pub struct StatusRow {
    pub name: String,
    #[serde(flatten)]
    pub counts: ChunkCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent: Option<bool>,
}

pub fn print_status(rows: &[StatusRow], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(rows)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no collections");
    }
    for r in rows {
        let c = &r.counts;
        let check = match r.consistent {
            Some(true) => ", consistent",
            Some(false) => ", INCONSISTENT",
            None => "",
        };
        println!(
            "{}: {} documents, {} chunks (lexical {}, vectors {}){check}",
            r.name, c.documents, c.manifest_chunks, c.lexical_chunks, c.vector_chunks
        );
    }
    Ok(())
}

pub fn print_answer_eval(report: &AnswerEvalReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
        return Ok(());
    }
    let show = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.3}"));
    let rate = |r: Option<Rate>| r.map_or("—".to_string(), |r| r.to_string());
    let ms = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.0}"));
    println!(
        "{} ({} questions: {} answerable, {} unanswerable; {})",
        report.dataset, report.questions, report.answerable, report.unanswerable, report.model
    );
    println!(
        "refusal rate, unanswerable  {}",
        rate(report.refusal_rate_unanswerable)
    );
    println!(
        "refusal rate, answerable    {}",
        rate(report.refusal_rate_answerable)
    );
    println!(
        "  the model's own           {} / {}",
        rate(report.model_refusal_rate_unanswerable),
        rate(report.model_refusal_rate_answerable)
    );
    println!(
        "extracts among answers     {}",
        rate(report.extractive_rate)
    );
    println!(
        "retrieval recall            {}",
        rate(report.retrieval_recall)
    );
    println!(
        "citation precision          {}",
        rate(report.citation_precision)
    );
    println!(
        "gold cited (answered)       {}",
        rate(report.gold_cited_rate)
    );
    println!(
        "token F1 / containment      {} / {}",
        show(report.token_f1),
        show(report.containment)
    );
    println!(
        "latency ms: sources p50 {}, TTFT p50 {}, total p50 {:.0}, p90 {:.0}",
        ms(report.sources_ms_p50),
        ms(report.ttft_ms_p50),
        report.total_ms_p50,
        report.total_ms_p90
    );
    Ok(())
}

pub fn print_calibration(report: &CalibrationReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
        return Ok(());
    }
    let rate = |r: Option<Rate>| r.map_or("—".to_string(), |r| r.to_string());
    println!(
        "{} outcomes, floor {}: min_coverage {} → refusal answerable {}, unanswerable {}",
        report.outcomes,
        report.floor,
        report.min_coverage,
        rate(report.refusal_answerable),
        rate(report.refusal_unanswerable)
    );
    println!(
        "  without it: refusal answerable {}, unanswerable {}",
        rate(report.refusal_answerable_without),
        rate(report.refusal_unanswerable_without)
    );
    for f in &report.folds {
        println!(
            "  fold {}: min_coverage {} (chosen on the others) → refusal answerable {}, unanswerable {}",
            f.fold,
            f.min_coverage,
            rate(f.refusal_answerable),
            rate(f.refusal_unanswerable)
        );
    }
    Ok(())
}

pub fn print_tune(report: &TuneReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
        return Ok(());
    }
    let setting = |s: &Setting| {
        format!(
            "RRF k {} · dense {} · ranker {}",
            s.rrf_k, s.dense_weight, s.rerank_weight
        )
    };
    println!("configured   {}", setting(&report.configured));
    println!(
        "recommended  {}{}",
        setting(&report.recommended),
        if report.never_worse {
            " (never below the better single engine on any fold)"
        } else {
            " (below the better single engine on some fold: the least so)"
        }
    );
    println!("nDCG@10         questions  bm25    dense   config  recomm. chosen on the rest");
    let row = |h: &HeldOut| {
        println!(
            "{:<30} {:>4}  {:.4}  {:.4}  {:.4}  {:.4}  {:.4} ({})",
            h.part,
            h.questions,
            h.bm25,
            h.dense,
            h.configured,
            h.recommended,
            h.chosen_ndcg,
            setting(&h.chosen)
        );
    };
    for set in &report.sets {
        println!(
            "{}: {} questions; bm25 {:.4}, dense {:.4}, configured {:.4}, recommended {:.4} ({:.4} without its ranker); best without the ranker {:.4} ({}), with it {:.4} ({})",
            set.dataset,
            set.questions,
            set.bm25,
            set.dense,
            set.configured,
            set.recommended,
            set.recommended_without_ranker,
            set.best_without_ranker.1,
            setting(&set.best_without_ranker.0),
            set.best_with_ranker.1,
            setting(&set.best_with_ranker.0)
        );
        set.folds.iter().for_each(row);
    }
    println!("the configured fusion with the ranker (nDCG@10 per set, in the order above):");
    for r in &report.ranker_on_configured {
        let ndcg: Vec<String> = r.ndcg.iter().map(|v| format!("{v:.4}")).collect();
        println!(
            "  ranker {:<4} {}{}",
            r.rerank_weight,
            ndcg.join("  "),
            if r.never_worse { "  never worse" } else { "" }
        );
    }
    println!("leave one set out:");
    report.leave_one_set_out.iter().for_each(row);
    let t = &report.thresholds;
    println!(
        "answer thresholds ({} questions, {} unanswerable): floor coverage {}, gate {}",
        t.questions, t.unanswerable, t.floor, t.gate
    );
    let share = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.3}"));
    for f in &t.folds {
        println!(
            "  fold {}: floor {} fires on unanswerable {}, answerable {} (right {}); gate {} declines answerable {}, unanswerable {}",
            f.fold,
            f.floor,
            share(f.floor_unanswerable),
            share(f.floor_answerable),
            share(f.floor_precision),
            f.gate,
            share(f.gate_answerable),
            share(f.gate_unanswerable)
        );
    }
    Ok(())
}

pub fn print_sources(sources: &[SourceStatus], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(sources)?);
        return Ok(());
    }
    if sources.is_empty() {
        println!("no [[sources]] in the configuration");
    }
    for s in sources {
        let connector = s.connector.as_deref().unwrap_or("generic");
        println!(
            "{}  {} ({connector} → {})",
            s.name,
            s.path.display(),
            s.collection
        );
        if let (Some(every), Some(next)) = (s.every_minutes, s.next_sync) {
            println!("  synced by `seogo serve` every {every} min; next at {next} (unix)");
        }
        match &s.state {
            None => println!("  never synced"),
            Some(st) => {
                if let Some(fetch) = &st.report.fetch {
                    println!("  {}", fetch_line(fetch));
                }
                let r = &st.report.ingest;
                println!(
                    "  last sync {} (unix): {} files, {} added, {} updated, {} unchanged, \
                     {} removed, {} chunks written, {} failed",
                    st.last_sync,
                    r.files,
                    r.added,
                    r.updated,
                    r.unchanged,
                    r.removed,
                    r.chunks_written,
                    r.failures.len()
                );
                if let Some(e) = &st.error {
                    println!("  error: {e}");
                }
                for f in &r.failures {
                    println!("  failed: {}: {}", f.path, f.error);
                }
            }
        }
    }
    Ok(())
}

pub fn print_facts(facts: &[Fact], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(facts)?);
        return Ok(());
    }
    if facts.is_empty() {
        println!("no facts");
    }
    for f in facts {
        let label = f.label.as_deref().unwrap_or(&f.concept);
        let period = match &f.fiscal_period {
            Some(fy) => format!("{fy} ({})", f.period),
            None => f.period.clone(),
        };
        println!(
            "{} · {label} · {period} · {} {}  [{} · {}]",
            f.entity, f.value, f.unit, f.concept, f.doc_id
        );
    }
    Ok(())
}
