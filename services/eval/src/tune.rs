//! `seogo eval tune`: the fusion and second-stage ranker settings, and the
//! answer thresholds, chosen by cross-validation rather than fitted to one
//! set.
//!
//! Each question's two candidate lists (BM25 and dense, at the configured
//! depths) and every candidate's best evidence-window score are computed
//! once; every setting of the grid (RRF k × dense weight × ranker weight)
//! is then scored from them (nDCG@10 by document), which is what search
//! would have returned with that setting. The settings are judged three
//! ways:
//! - folds within each set: chosen on the other folds, scored on the fold;
//! - leave one set out: chosen on the other sets, scored on the one left;
//! - the recommendation: among the settings never worse than the better
//!   single lane on any fold of any set, the best mean over the sets.
//!
//! The answer thresholds come from each question's evidence as `ask`
//! builds it (no generation): the extractive floor's coverage threshold —
//! the smallest that fires on no unanswerable question and is right
//! (the extract holds the reference answer) at least 80 % of the time on
//! the training folds — and the no-evidence gate — the largest best-window
//! score below which no answerable training question falls.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;
use seogo_docs::Chunk;
use seogo_index::{fuse, FusionMethod, Hit};
use serde::{Deserialize, Serialize};

use crate::answers::overlap;
use crate::dataset::Dataset;
use crate::questions::{questions, sample, shuffle};
use crate::retrieval::{eval_collection, eval_collection_name, ndcg_at_10, round4};
use seogo_engine::evidence::{QuestionTerms, ScoredChunk};
use seogo_engine::ingest::Progress;
use seogo_engine::retrieve::{
    rerank_score, Scope, SearchMode, SearchRequest, SearchResult, RERANK_DEPTH,
};
use seogo_engine::{Engine, EngineError};

/// Which sets, how many folds, how many questions of each.
#[derive(Debug, Clone)]
pub struct TuneRequest {
    pub datasets: Vec<PathBuf>,
    pub folds: usize,
    pub seed: u64,
    /// At most this many questions of each set (a seeded sample).
    pub limit: Option<usize>,
}

/// One point of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub rrf_k: f32,
    /// Against a lexical weight of 1.
    pub dense_weight: f32,
    /// 0: no second-stage ranker.
    pub rerank_weight: f32,
}

const RRF_KS: [f32; 4] = [10.0, 30.0, 60.0, 100.0];
const DENSE_WEIGHTS: [f32; 10] = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5];
const RERANK_WEIGHTS: [f32; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];

fn grid() -> Vec<Setting> {
    let mut settings = Vec::new();
    for rrf_k in RRF_KS {
        for dense_weight in DENSE_WEIGHTS {
            for rerank_weight in RERANK_WEIGHTS {
                settings.push(Setting {
                    rrf_k,
                    dense_weight,
                    rerank_weight,
                });
            }
        }
    }
    settings
}

/// nDCG@10 of the held-out part, against the single lanes and the
/// configured setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeldOut {
    /// `fold 3 of ko-autorag`, or a set's name for leave-one-set-out.
    pub part: String,
    pub questions: usize,
    pub chosen: Setting,
    pub chosen_ndcg: f64,
    pub bm25: f64,
    pub dense: f64,
    pub configured: f64,
    pub recommended: f64,
}

/// The configured fusion under one ranker weight.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RankerFigures {
    pub rerank_weight: f32,
    pub ndcg: Vec<f64>,
    pub never_worse: bool,
}

/// One set's figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetFigures {
    pub dataset: String,
    pub questions: usize,
    pub bm25: f64,
    pub dense: f64,
    pub configured: f64,
    pub recommended: f64,
    /// The recommended fusion with the ranker off: the ranker's effect.
    pub recommended_without_ranker: f64,
    /// The best setting without the ranker, and with it, on this whole set.
    pub best_without_ranker: (Setting, f64),
    pub best_with_ranker: (Setting, f64),
    pub folds: Vec<HeldOut>,
}

/// The extractive floor's and the gate's thresholds, cross-validated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThresholdFold {
    pub fold: usize,
    pub floor: f32,
    /// On the held-out fold: unanswerable questions the floor would answer.
    pub floor_unanswerable: Option<f64>,
    /// On the held-out fold: answerable questions it would answer, and the
    /// share of those whose extract holds the reference.
    pub floor_answerable: Option<f64>,
    pub floor_precision: Option<f64>,
    pub gate: f32,
    /// On the held-out fold: questions declined without generation.
    pub gate_answerable: Option<f64>,
    pub gate_unanswerable: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Thresholds {
    pub questions: usize,
    pub unanswerable: usize,
    pub floor: f32,
    pub gate: f32,
    pub folds: Vec<ThresholdFold>,
}

/// The report `seogo eval tune` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TuneReport {
    pub configured: Setting,
    pub recommended: Setting,
    /// Whether the recommendation is never below the better single lane on
    /// any fold of any set (else it is the setting that falls least).
    pub never_worse: bool,
    pub sets: Vec<SetFigures>,
    /// The configured fusion with each ranker weight: nDCG@10 per set (in
    /// `sets` order), and whether it is never below the better single
    /// engine on any fold.
    pub ranker_on_configured: Vec<RankerFigures>,
    pub leave_one_set_out: Vec<HeldOut>,
    pub thresholds: Thresholds,
}

/// One question's two candidate lists and its candidates' best window
/// scores: all any setting needs.
struct Lanes {
    lexical: Vec<Hit>,
    dense: Vec<Hit>,
    window: HashMap<String, f32>,
    relevant: HashMap<String, f64>,
}

/// A search result reduced to what fusion reads.
fn light(results: Vec<SearchResult>) -> Vec<Hit> {
    results
        .into_iter()
        .map(|r| Hit {
            score: r.score,
            chunk: Chunk {
                id: r.chunk.id,
                doc_id: r.chunk.doc_id,
                ..Chunk::default()
            },
        })
        .collect()
}

/// Chunk ids → document ids, best first, each once.
fn documents<'a>(chunks: impl Iterator<Item = &'a Chunk>) -> Vec<String> {
    let mut seen = HashSet::new();
    chunks
        .filter(|c| seen.insert(c.doc_id.as_str()))
        .map(|c| c.doc_id.clone())
        .collect()
}

impl Lanes {
    /// nDCG@10 of what search returns with `setting`.
    fn ndcg(&self, setting: Setting) -> f64 {
        let lists = [
            (1.0, self.lexical.clone()),
            (setting.dense_weight, self.dense.clone()),
        ];
        let mut fused = fuse(&lists, FusionMethod::Rrf { k: setting.rrf_k }, RERANK_DEPTH);
        if setting.rerank_weight > 0.0 {
            let top = fused.first().map_or(0.0, |f| f.score);
            let mut scored: Vec<(f32, usize, &Chunk)> = fused
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let window = self.window.get(&f.hit.chunk.id).copied().unwrap_or(0.0);
                    (
                        rerank_score(setting.rerank_weight, window, f.score, top),
                        i,
                        &f.hit.chunk,
                    )
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let ranking = documents(scored.into_iter().map(|(_, _, c)| c));
            return ndcg_at_10(&ranking, &self.relevant);
        }
        fused.truncate(RERANK_DEPTH);
        ndcg_at_10(
            &documents(fused.iter().map(|f| &f.hit.chunk)),
            &self.relevant,
        )
    }

    fn lane(&self, lexical: bool) -> f64 {
        let hits = if lexical { &self.lexical } else { &self.dense };
        ndcg_at_10(&documents(hits.iter().map(|h| &h.chunk)), &self.relevant)
    }
}

/// A question's evidence as `ask` builds it, for the thresholds.
struct EvidencePoint {
    answerable: bool,
    best: f32,
    coverage: f32,
    /// The extract holds the reference answer (none: no reference).
    correct: Option<bool>,
    fold: usize,
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Per set: per setting, each question's nDCG; the lanes' per question.
struct SetScores {
    name: String,
    by_setting: Vec<Vec<f64>>,
    bm25: Vec<f64>,
    dense: Vec<f64>,
    fold_of: Vec<usize>,
}

impl SetScores {
    fn mean_where(&self, values: &[f64], keep: impl Fn(usize) -> bool) -> f64 {
        mean((0..values.len()).filter(|&q| keep(q)).map(|q| values[q]))
    }

    /// The index of the setting with the best mean over the questions
    /// `keep` selects.
    fn best(&self, keep: impl Fn(usize) -> bool + Copy) -> usize {
        (0..self.by_setting.len())
            .max_by(|&a, &b| {
                self.mean_where(&self.by_setting[a], keep)
                    .total_cmp(&self.mean_where(&self.by_setting[b], keep))
                    .then(b.cmp(&a))
            })
            .unwrap_or(0)
    }
}

/// Folds 0..`folds` assigned to `n` items by a seeded shuffle.
pub(crate) fn fold_assignment(n: usize, folds: usize, seed: u64) -> Vec<usize> {
    let shuffled = shuffle((0..n).collect::<Vec<_>>(), seed);
    let mut fold_of = vec![0; n];
    for (position, &q) in shuffled.iter().enumerate() {
        fold_of[q] = position % folds.max(1);
    }
    fold_of
}

pub fn eval_tune(
    engine: &Engine,
    req: &TuneRequest,
    progress: &mut dyn FnMut(Progress),
) -> Result<TuneReport, EngineError> {
    let settings = grid();
    let cfg = &engine.config().retrieval;
    let configured = Setting {
        rrf_k: match cfg.fusion {
            FusionMethod::Rrf { k } => k,
            FusionMethod::Score => 60.0,
        },
        dense_weight: cfg.dense_weight / cfg.lexical_weight.max(f32::EPSILON),
        rerank_weight: match engine.config().answer.retrieval {
            SearchMode::Rerank => cfg.rerank_weight,
            _ => 0.0,
        },
    };
    let configured_at = settings
        .iter()
        .position(|s| *s == configured)
        .ok_or_else(|| {
            EngineError::Config(format!(
                "the configured fusion {configured:?} is not on the tuning grid"
            ))
        })?;
    let mut sets = Vec::new();
    let mut points = Vec::new();
    for path in &req.datasets {
        let (scores, mut evidence) = tune_set(engine, path, req, &settings, progress)?;
        points.append(&mut evidence);
        sets.push(scores);
    }
    // The recommendation: never below the better lane on any fold.
    let deficit = |s: usize| -> f64 {
        sets.iter()
            .flat_map(|set| {
                (0..req.folds).map(move |f| {
                    let on = |v: &[f64]| set.mean_where(v, |q| set.fold_of[q] == f);
                    on(&set.by_setting[s]) - on(&set.bm25).max(on(&set.dense))
                })
            })
            .fold(f64::INFINITY, f64::min)
    };
    let overall = |s: usize| {
        mean(
            sets.iter()
                .map(|set| mean(set.by_setting[s].iter().copied())),
        )
    };
    let deficits: Vec<f64> = (0..settings.len()).map(deficit).collect();
    let never_worse: Vec<usize> = (0..settings.len())
        .filter(|&s| deficits[s] >= 0.0)
        .collect();
    let recommended_at = if never_worse.is_empty() {
        (0..settings.len())
            .max_by(|&a, &b| deficits[a].total_cmp(&deficits[b]))
            .unwrap_or(configured_at)
    } else {
        never_worse
            .iter()
            .copied()
            .max_by(|&a, &b| overall(a).total_cmp(&overall(b)).then(b.cmp(&a)))
            .unwrap_or(configured_at)
    };
    let ranker_on_configured = settings
        .iter()
        .enumerate()
        .filter(|(_, s)| s.rrf_k == configured.rrf_k && s.dense_weight == configured.dense_weight)
        .map(|(at, s)| RankerFigures {
            rerank_weight: s.rerank_weight,
            ndcg: sets
                .iter()
                .map(|set| round4(mean(set.by_setting[at].iter().copied())))
                .collect(),
            never_worse: deficits[at] >= 0.0,
        })
        .collect();
    let set_figures = sets
        .iter()
        .map(|set| set_figures(set, &settings, req.folds, configured_at, recommended_at))
        .collect();
    let leave_one_set_out = (0..sets.len())
        .map(|held| {
            let others: Vec<&SetScores> = sets
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != held)
                .map(|(_, s)| s)
                .collect();
            let chosen = (0..settings.len())
                .max_by(|&a, &b| {
                    let m = |s: usize| {
                        mean(others.iter().map(|o| mean(o.by_setting[s].iter().copied())))
                    };
                    m(a).total_cmp(&m(b)).then(b.cmp(&a))
                })
                .unwrap_or(configured_at);
            let set = &sets[held];
            let all = |v: &[f64]| round4(mean(v.iter().copied()));
            HeldOut {
                part: set.name.clone(),
                questions: set.bm25.len(),
                chosen: settings[chosen],
                chosen_ndcg: all(&set.by_setting[chosen]),
                bm25: all(&set.bm25),
                dense: all(&set.dense),
                configured: all(&set.by_setting[configured_at]),
                recommended: all(&set.by_setting[recommended_at]),
            }
        })
        .collect();
    Ok(TuneReport {
        configured,
        recommended: settings[recommended_at],
        never_worse: !never_worse.is_empty(),
        sets: set_figures,
        ranker_on_configured,
        leave_one_set_out,
        thresholds: thresholds(&points, req.folds),
    })
}

fn set_figures(
    set: &SetScores,
    settings: &[Setting],
    folds: usize,
    configured_at: usize,
    recommended_at: usize,
) -> SetFigures {
    let all = |v: &[f64]| round4(mean(v.iter().copied()));
    let best_of = |ranker: bool| {
        let s = (0..settings.len())
            .filter(|&s| (settings[s].rerank_weight > 0.0) == ranker)
            .max_by(|&a, &b| all(&set.by_setting[a]).total_cmp(&all(&set.by_setting[b])))
            .unwrap_or(0);
        (settings[s], all(&set.by_setting[s]))
    };
    let folds = (0..folds)
        .map(|f| {
            let chosen = set.best(|q| set.fold_of[q] != f);
            let on = |v: &[f64]| round4(set.mean_where(v, |q| set.fold_of[q] == f));
            HeldOut {
                part: format!("fold {} of {}", f + 1, set.name),
                questions: set.fold_of.iter().filter(|&&x| x == f).count(),
                chosen: settings[chosen],
                chosen_ndcg: on(&set.by_setting[chosen]),
                bm25: on(&set.bm25),
                dense: on(&set.dense),
                configured: on(&set.by_setting[configured_at]),
                recommended: on(&set.by_setting[recommended_at]),
            }
        })
        .collect();
    let recommended = settings[recommended_at];
    let without_ranker = settings
        .iter()
        .position(|s| {
            *s == Setting {
                rerank_weight: 0.0,
                ..recommended
            }
        })
        .unwrap_or(recommended_at);
    SetFigures {
        dataset: set.name.clone(),
        questions: set.bm25.len(),
        bm25: all(&set.bm25),
        dense: all(&set.dense),
        configured: all(&set.by_setting[configured_at]),
        recommended: all(&set.by_setting[recommended_at]),
        recommended_without_ranker: all(&set.by_setting[without_ranker]),
        best_without_ranker: best_of(false),
        best_with_ranker: best_of(true),
        folds,
    }
}

/// One set: its questions' lanes scored under every setting, and their
/// evidence points.
fn tune_set(
    engine: &Engine,
    path: &std::path::Path,
    req: &TuneRequest,
    settings: &[Setting],
    progress: &mut dyn FnMut(Progress),
) -> Result<(SetScores, Vec<EvidencePoint>), EngineError> {
    let dataset = Dataset::load(path, None, &engine.config().parse, None)?;
    let all = sample(questions(path, &dataset)?, req.limit, req.seed);
    let analyzer = engine.config().lexical.analyzer;
    let collection = eval_collection_name(engine, &dataset, analyzer, None, true)?;
    let megabytes = round4(dataset.text_bytes() as f64 / 1e6);
    eval_collection(
        engine,
        path,
        &collection,
        analyzer,
        dataset.corpus,
        megabytes,
        progress,
    )?;
    let scope = Scope {
        collection: collection.clone(),
        ..Scope::default()
    };
    let cfg = &engine.config().retrieval;
    let search = |query: &str, mode, k| {
        engine.search(&SearchRequest {
            query: query.to_string(),
            mode,
            k,
            snippets: false,
            scope: scope.clone(),
        })
    };
    let mut lanes = Vec::new();
    let mut points = Vec::new();
    let fold_of = fold_assignment(all.len(), req.folds, req.seed);
    let budget = engine
        .config()
        .answer
        .evidence_budget(&seogo_engine::config::GeneratorConfig::Local);
    for (i, q) in all.iter().enumerate() {
        // A follow-up without the model's rewrite: the previous
        // question with it, as `ask` falls back to.
        let text = match q
            .history
            .iter()
            .rev()
            .find(|t| t.role == seogo_types::Role::User)
        {
            Some(previous) => format!("{} {}", previous.content, q.text),
            None => q.text.clone(),
        };
        let labelled = q.answerability != "UNDERSPECIFIED";
        if !q.gold.is_empty() {
            let lexical = search(&text, SearchMode::Bm25, cfg.lexical_k)?;
            let dense = search(&text, SearchMode::Dense, cfg.dense_k)?;
            let window = engine.read_current(&collection, |col| {
                let question = QuestionTerms::of(&col.lexical, &text);
                let analyze = |t: &str| col.lexical.content_terms(t);
                let mut seen = HashSet::new();
                let candidates: Vec<&Chunk> = lexical
                    .iter()
                    .chain(&dense)
                    .map(|r| &r.chunk)
                    .filter(|c| seen.insert(c.id.as_str()))
                    .collect();
                Ok(candidates
                    .par_iter()
                    .map(|c| {
                        let best = ScoredChunk::new((*c).clone(), &question, &analyze).best();
                        (c.id.clone(), best)
                    })
                    .collect())
            })?;
            lanes.push(Lanes {
                lexical: light(lexical),
                dense: light(dense),
                window,
                relevant: q.gold.iter().map(|d| (d.clone(), 1.0)).collect(),
            });
        }
        if labelled {
            let (evidence, _) = engine.evidence(&text, &scope, budget, &mut |t| {
                Ok(seogo_docs::chunk::approx_tokens(t))
            })?;
            let (best, coverage, extract) = evidence
                .best
                .map_or((0.0, 0.0, String::new()), |b| (b.score, b.coverage, b.text));
            points.push(EvidencePoint {
                answerable: q.answerable(),
                best,
                coverage,
                correct: q
                    .reference
                    .as_ref()
                    .filter(|_| q.answerable())
                    .map(|r| extract.contains(r.trim()) || overlap(&extract, r).1 >= 0.5),
                fold: fold_of[i],
            });
        }
        if (i + 1) % 100 == 0 {
            tracing::info!(set = %path.display(), done = i + 1, of = all.len(), "tuning");
        }
    }
    let lane_folds: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, q)| !q.gold.is_empty())
        .map(|(i, _)| fold_of[i])
        .collect();
    let by_setting = settings
        .par_iter()
        .map(|&s| lanes.iter().map(|l| l.ndcg(s)).collect())
        .collect();
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok((
        SetScores {
            name,
            by_setting,
            bm25: lanes.iter().map(|l| l.lane(true)).collect(),
            dense: lanes.iter().map(|l| l.lane(false)).collect(),
            fold_of: lane_folds,
        },
        points,
    ))
}

/// Thresholds tried for the floor (coverage) and the gate (best score).
const FLOOR_STEPS: [f32; 14] = [
    0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0,
];
const GATE_STEPS: [f32; 11] = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5];
/// Share of fired extracts that must hold the reference.
const FLOOR_PRECISION: f64 = 0.8;

/// The floor: the smallest coverage that fires on no unanswerable
/// question of `train` and whose extracts hold the reference at least
/// [`FLOOR_PRECISION`] of the time; above 1 when none does.
fn choose_floor(train: &[&EvidencePoint]) -> f32 {
    FLOOR_STEPS
        .into_iter()
        .find(|&t| {
            let fired: Vec<&&EvidencePoint> = train.iter().filter(|p| p.coverage >= t).collect();
            let judged: Vec<bool> = fired.iter().filter_map(|p| p.correct).collect();
            fired.iter().all(|p| p.answerable)
                && (judged.is_empty()
                    || judged.iter().filter(|&&c| c).count() as f64
                        >= FLOOR_PRECISION * judged.len() as f64)
        })
        .unwrap_or(1.01)
}

/// The gate: the largest best-window score no answerable question of
/// `train` falls below.
fn choose_gate(train: &[&EvidencePoint]) -> f32 {
    GATE_STEPS
        .into_iter()
        .rev()
        .find(|&t| train.iter().all(|p| !p.answerable || p.best >= t))
        .unwrap_or(0.0)
}

fn share(points: &[&EvidencePoint], test: impl Fn(&EvidencePoint) -> bool) -> Option<f64> {
    (!points.is_empty())
        .then(|| round4(points.iter().filter(|p| test(p)).count() as f64 / points.len() as f64))
}

fn thresholds(points: &[EvidencePoint], folds: usize) -> Thresholds {
    let folds = (0..folds)
        .map(|f| {
            let train: Vec<&EvidencePoint> = points.iter().filter(|p| p.fold != f).collect();
            let test: Vec<&EvidencePoint> = points.iter().filter(|p| p.fold == f).collect();
            let (floor, gate) = (choose_floor(&train), choose_gate(&train));
            let kind = |answerable: bool| -> Vec<&EvidencePoint> {
                test.iter()
                    .copied()
                    .filter(|p| p.answerable == answerable)
                    .collect()
            };
            let (answerable, unanswerable) = (kind(true), kind(false));
            let fired: Vec<&EvidencePoint> = answerable
                .iter()
                .copied()
                .filter(|p| p.coverage >= floor)
                .collect();
            let judged: Vec<&EvidencePoint> = fired
                .iter()
                .copied()
                .filter(|p| p.correct.is_some())
                .collect();
            ThresholdFold {
                fold: f + 1,
                floor,
                floor_unanswerable: share(&unanswerable, |p| p.coverage >= floor),
                floor_answerable: share(&answerable, |p| p.coverage >= floor),
                floor_precision: share(&judged, |p| p.correct == Some(true)),
                gate,
                gate_answerable: share(&answerable, |p| p.best < gate),
                gate_unanswerable: share(&unanswerable, |p| p.best < gate),
            }
        })
        .collect();
    let all: Vec<&EvidencePoint> = points.iter().collect();
    Thresholds {
        questions: points.len(),
        unanswerable: points.iter().filter(|p| !p.answerable).count(),
        floor: choose_floor(&all),
        gate: choose_gate(&all),
        folds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(answerable: bool, best: f32, coverage: f32, correct: Option<bool>) -> EvidencePoint {
        EvidencePoint {
            answerable,
            best,
            coverage,
            correct,
            fold: 0,
        }
    }

    #[test]
    fn the_floor_stays_above_every_unanswerable_question_and_the_gate_below_every_answerable_one() {
        let points = [
            point(true, 0.9, 0.9, Some(true)),
            point(true, 0.6, 0.55, Some(true)),
            point(true, 0.3, 0.3, Some(false)),
            point(false, 0.5, 0.62, None),
            point(false, 0.1, 0.1, None),
        ];
        let all: Vec<&EvidencePoint> = points.iter().collect();
        // 0.62 unanswerable: the first step above it is 0.65.
        assert_eq!(choose_floor(&all), 0.65);
        // The weakest answerable question's best window scores 0.3.
        assert_eq!(choose_gate(&all), 0.3);
        // Wrong extracts above every unanswerable one push the floor up.
        let wrong = [
            point(true, 0.9, 0.7, Some(false)),
            point(true, 0.9, 0.9, Some(true)),
        ];
        let all: Vec<&EvidencePoint> = wrong.iter().collect();
        assert_eq!(choose_floor(&all), 0.75);
    }

    #[test]
    fn folds_cover_every_item_evenly() {
        let folds = fold_assignment(23, 5, 7);
        for f in 0..5 {
            let n = folds.iter().filter(|&&x| x == f).count();
            assert!((4..=5).contains(&n), "fold {f}: {n}");
        }
        assert_eq!(folds, fold_assignment(23, 5, 7));
    }
}
