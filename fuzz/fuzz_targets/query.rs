//! The query parser and the tantivy query built from it (phrases,
//! prefixes, identifiers, morphemes and bigrams), run against a small
//! real index with the MeCab-ko dictionary when `SEOGO_MODELS_DIR` has one.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use seogo_analyzer::mecab::Dictionary;
use seogo_docs::{Chunk, Domain, PUBLIC_GROUP};
use seogo_index::{AnalyzerKind, LexicalIndex, LexicalResources, SearchFilter};

fn index() -> &'static LexicalIndex {
    static INDEX: OnceLock<LexicalIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let dictionary = std::env::var_os("SEOGO_MODELS_DIR")
            .map(|dir| std::path::PathBuf::from(dir).join("mecab-ko-dic"))
            .and_then(|dir| Dictionary::open(&dir).ok())
            .map(Arc::new);
        let kind = if dictionary.is_some() {
            AnalyzerKind::Combined
        } else {
            AnalyzerKind::Bigram
        };
        let resources = LexicalResources {
            dictionary,
            ..LexicalResources::default()
        };
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let index = LexicalIndex::open(&dir, kind, Arc::new(resources)).expect("open");
        for (i, text) in [
            "냉각수 펌프 P-101A는 500시간마다 점검한다. 오류 코드 E-2051.",
            "제3조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.",
            "Operating profit rose 12% to ₩1.2 trillion in Q3 2023.",
        ]
        .iter()
        .enumerate()
        {
            let id = format!("doc{i}");
            let chunk = Chunk {
                id: Chunk::make_id(&id, 0),
                doc_id: id.clone(),
                ordinal: 0,
                title: String::new(),
                source: id.clone(),
                heading_path: Vec::new(),
                page: None,
                locator: None,
                text: text.to_string(),
                header: String::new(),
                domain: Domain::General,
                acl: vec![PUBLIC_GROUP.to_string()],
                metadata: Default::default(),
            };
            index.replace_document(&id, &[chunk]).expect("add");
        }
        index.commit().expect("commit");
        index
    })
}

fuzz_target!(init: seogo_docs::fuzzing::keep_caught_panics(), |data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let filter = SearchFilter {
        principals: vec![PUBLIC_GROUP.to_string()],
        equals: Vec::new(),
    };
    let _ = index().search(query, &filter, 10);
});
