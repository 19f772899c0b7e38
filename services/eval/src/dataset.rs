//! Evaluation sets in memory: a BEIR folder (`corpus.jsonl`,
//! `queries.jsonl`, `qrels/*.tsv`) or a SQuAD-format JSON file (KorQuAD),
//! turned into question → relevant paragraph. The SQuAD conversion stays in
//! memory: KorQuAD's licence (CC BY-ND) forbids storing a converted copy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use seogo_docs::parse::{read_file, ParseOptions};
use seogo_docs::{content_hash, Acl, Connector, Document, Domain, Limits, Section};
use serde::Deserialize;

use seogo_durable::PathContext;
use seogo_engine::ingest::read_refined;
use seogo_engine::EngineError;

/// One evaluation query.
#[derive(Debug, Clone)]
pub(crate) struct EvalQuery {
    /// The set's own id of the question (a SQuAD question's `id`, a BEIR
    /// query's `_id`, a titled file's name).
    pub id: String,
    pub text: String,
    pub domain: Option<String>,
    /// doc id → relevance grade.
    pub relevant: HashMap<String, f64>,
    /// The reference answer, where the set gives one with the question
    /// (SQuAD's first answer span).
    pub answer: Option<String>,
}

/// A corpus with its judged queries.
#[derive(Debug)]
pub(crate) struct Dataset {
    pub corpus: Vec<Document>,
    pub queries: Vec<EvalQuery>,
    /// Hash of the source bytes: names the evaluation index.
    pub content_hash: String,
    /// Every judgment of a BEIR set (query id → doc id → grade), also for
    /// queries left out of `queries`.
    pub qrels: HashMap<String, HashMap<String, f64>>,
}

impl Dataset {
    /// Bytes of source text in the corpus (for throughput figures).
    pub fn text_bytes(&self) -> usize {
        self.corpus
            .iter()
            .flat_map(|d| &d.sections)
            .map(|s| s.text.len())
            .sum()
    }

    /// A BEIR folder, a titled-files folder (`manifest.jsonl` with `file`
    /// and `title` per line + `files/`: each title must find its file), or
    /// a SQuAD JSON file (or a folder holding one).
    pub fn load(
        path: &Path,
        split: Option<&str>,
        limits: &Limits,
        connector: Option<&dyn Connector>,
    ) -> Result<Self, EngineError> {
        if path.join("corpus.jsonl").exists() {
            return load_beir(path, split, limits);
        }
        if path.join("manifest.jsonl").exists() && path.join("files").is_dir() {
            return load_titled_files(path, limits, connector);
        }
        let file = if path.is_dir() {
            let mut json: Vec<PathBuf> = std::fs::read_dir(path)
                .at(path)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            json.sort();
            match json.len() {
                1 => json.remove(0),
                _ => {
                    return Err(EngineError::BadInput(format!(
                        "{}: neither a BEIR folder (corpus.jsonl) nor a folder with one SQuAD .json file",
                        path.display()
                    )))
                }
            }
        } else {
            path.to_path_buf()
        };
        load_squad(&file)
    }
}

#[derive(Deserialize)]
struct TitledFile {
    file: String,
    title: String,
}

/// Each file read (through the connector, as ingest does) into the corpus;
/// each title a query whose relevant documents are its file's.
fn load_titled_files(
    dir: &Path,
    limits: &Limits,
    connector: Option<&dyn Connector>,
) -> Result<Dataset, EngineError> {
    let manifest_path = dir.join("manifest.jsonl");
    let manifest = read(&manifest_path)?;
    let opts = ParseOptions {
        domain: connector.map_or(Domain::General, |c| c.domain()),
        acl: Acl::public(),
        limits: limits.clone(),
    };
    let mut corpus = Vec::new();
    let mut queries = Vec::new();
    for (i, line) in String::from_utf8_lossy(&manifest).lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: TitledFile = serde_json::from_str(line).map_err(|e| {
            EngineError::BadInput(format!("{}: line {}: {e}", manifest_path.display(), i + 1))
        })?;
        let file = dir.join("files").join(&entry.file);
        let (_, refined, _) = read_refined(&file, &opts, connector);
        let refined = refined.map_err(|e| EngineError::BadInput(e.to_string()))?;
        let relevant = refined
            .documents
            .iter()
            .map(|d| (d.id.clone(), 1.0))
            .collect();
        corpus.extend(refined.documents);
        queries.push(EvalQuery {
            id: entry.file,
            text: entry.title,
            domain: None,
            relevant,
            answer: None,
        });
    }
    Ok(Dataset {
        corpus,
        queries,
        content_hash: content_hash(&manifest),
        qrels: HashMap::new(),
    })
}

fn read(path: &Path) -> Result<Vec<u8>, EngineError> {
    std::fs::read(path).map_err(|e| EngineError::io(path, e))
}

#[derive(Deserialize)]
struct QueryRecord {
    #[serde(rename = "_id")]
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
}

fn id_string(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

fn load_beir(dir: &Path, split: Option<&str>, limits: &Limits) -> Result<Dataset, EngineError> {
    let corpus_path = dir.join("corpus.jsonl");
    let corpus_bytes = read(&corpus_path)?;
    let opts = ParseOptions {
        domain: Domain::General,
        acl: Acl::public(),
        limits: limits.clone(),
    };
    let corpus = read_file(&corpus_path, &corpus_path.to_string_lossy(), &opts)
        .map_err(|e| EngineError::BadInput(e.to_string()))?;
    let qrels = read_qrels(&qrels_path(dir, split)?)?;
    let queries_path = dir.join("queries.jsonl");
    let text = String::from_utf8(read(&queries_path)?)
        .map_err(|e| EngineError::BadInput(format!("{}: {e}", queries_path.display())))?;
    let mut queries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: QueryRecord = serde_json::from_str(line).map_err(|e| {
            EngineError::BadInput(format!("{}: line {}: {e}", queries_path.display(), i + 1))
        })?;
        let id = id_string(q.id);
        if let Some(relevant) = qrels.get(&id) {
            queries.push(EvalQuery {
                id,
                text: q.text,
                domain: q
                    .metadata
                    .get("domain")
                    .and_then(|d| d.as_str())
                    .map(str::to_string),
                relevant: relevant.clone(),
                answer: None,
            });
        }
    }
    Ok(Dataset {
        corpus,
        queries,
        content_hash: content_hash(&corpus_bytes),
        qrels,
    })
}

fn qrels_path(dataset: &Path, split: Option<&str>) -> Result<PathBuf, EngineError> {
    let dir = dataset.join("qrels");
    if let Some(split) = split {
        return Ok(dir.join(format!("{split}.tsv")));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .at(&dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    match files.len() {
        1 => Ok(files.remove(0)),
        0 => Err(EngineError::BadInput(format!(
            "{}: no qrels .tsv file",
            dir.display()
        ))),
        _ => Err(EngineError::BadInput(format!(
            "{}: several qrels files; choose one with --split",
            dir.display()
        ))),
    }
}

/// query id → (doc id → grade).
fn read_qrels(path: &Path) -> Result<HashMap<String, HashMap<String, f64>>, EngineError> {
    let text = String::from_utf8(read(path)?)
        .map_err(|e| EngineError::BadInput(format!("{}: {e}", path.display())))?;
    let mut qrels: HashMap<String, HashMap<String, f64>> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 || (i == 0 && cols[2].trim().parse::<f64>().is_err()) {
            continue;
        }
        let grade: f64 = cols[2].trim().parse().map_err(|_| {
            EngineError::BadInput(format!("{}: line {}: bad score", path.display(), i + 1))
        })?;
        qrels
            .entry(cols[0].to_string())
            .or_default()
            .insert(cols[1].to_string(), grade);
    }
    Ok(qrels)
}

#[derive(Deserialize)]
struct Squad {
    data: Vec<SquadArticle>,
}

#[derive(Deserialize)]
struct SquadArticle {
    title: String,
    paragraphs: Vec<SquadParagraph>,
}

#[derive(Deserialize)]
struct SquadParagraph {
    context: String,
    qas: Vec<SquadQuestion>,
}

#[derive(Deserialize)]
struct SquadQuestion {
    id: String,
    question: String,
    #[serde(default)]
    answers: Vec<SquadAnswer>,
}

#[derive(Deserialize)]
struct SquadAnswer {
    text: String,
}

/// Every paragraph becomes a document (titled by its article); every
/// question is judged relevant to its own paragraph only.
fn load_squad(path: &Path) -> Result<Dataset, EngineError> {
    let bytes = read(path)?;
    let squad: Squad = serde_json::from_slice(&bytes).map_err(|e| {
        EngineError::BadInput(format!("{}: not a SQuAD-format file: {e}", path.display()))
    })?;
    let source = path.display().to_string();
    let mut corpus = Vec::new();
    let mut queries = Vec::new();
    for (a, article) in squad.data.into_iter().enumerate() {
        for (p, paragraph) in article.paragraphs.into_iter().enumerate() {
            let id = format!("a{a}-p{p}");
            for qa in paragraph.qas {
                queries.push(EvalQuery {
                    id: qa.id,
                    text: qa.question,
                    domain: None,
                    relevant: HashMap::from([(id.clone(), 1.0)]),
                    answer: qa.answers.into_iter().next().map(|a| a.text),
                });
            }
            corpus.push(Document {
                content_hash: content_hash(paragraph.context.as_bytes()),
                id,
                title: article.title.clone(),
                source: source.clone(),
                domain: Domain::General,
                acl: Acl::public(),
                metadata: Default::default(),
                sections: vec![Section::new(Vec::new(), None, paragraph.context)],
            });
        }
    }
    Ok(Dataset {
        corpus,
        queries,
        content_hash: content_hash(&bytes),
        qrels: HashMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squad_questions_point_at_their_paragraph() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mini.json");
        std::fs::write(
            &path,
            r#"{"version":"1","data":[{"title":"서울","paragraphs":[
                {"context":"서울은 한국의 수도이다.","qas":[{"id":"1","question":"한국의 수도는?","answers":[{"text":"서울","answer_start":0}]}]},
                {"context":"부산은 항구 도시이다.","qas":[{"id":"2","question":"항구 도시는?","answers":[]},{"id":"3","question":"부산은?","answers":[]}]}]}]}"#,
        )
        .expect("write");
        let d = Dataset::load(dir.path(), None, &Limits::default(), None).expect("loads");
        assert_eq!(d.corpus.len(), 2);
        assert_eq!(d.corpus[1].title, "서울");
        assert_eq!(d.queries.len(), 3);
        assert_eq!(
            d.queries[2].relevant,
            HashMap::from([("a0-p1".to_string(), 1.0)])
        );
        assert_eq!(
            (d.queries[0].id.as_str(), d.queries[0].answer.as_deref()),
            ("1", Some("서울"))
        );
        assert_eq!(d.queries[1].answer, None);
    }
}
