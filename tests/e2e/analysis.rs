//! MeCab-ko and the morpheme analyzer against the real mecab-ko-dic of the
//! installed model pack (here, not in the analyzer's unit tests, so that
//! `cargo test -p seogo-analyzer` passes before `seogo models install`).
//! Expected outputs were produced by python-mecab-ko 1.3.7 (MeCab-ko) with
//! python-mecab-ko-dic 2.1.1.post2, the same dictionary files.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use seogo_analyzer::mecab::Dictionary;
use seogo_analyzer::morph::MorphAnalyzer;
use seogo_analyzer::AnalysisError;
use seogo_tests::models_dir;

fn dict_dir() -> PathBuf {
    models_dir().join("mecab-ko-dic")
}

/// The real dictionary, loaded once per test binary (~100 MB).
fn loaded() -> &'static Arc<Dictionary> {
    static DICT: OnceLock<Arc<Dictionary>> = OnceLock::new();
    DICT.get_or_init(|| Arc::new(Dictionary::open(&dict_dir()).expect("open mecab-ko-dic")))
}

fn dict() -> &'static Dictionary {
    loaded()
}

/// "surface/POS" joined by spaces, like the oracle's output.
fn analyse(text: &str) -> String {
    dict()
        .tokenize(text)
        .iter()
        .map(|m| format!("{}/{}", &text[m.start..m.end], m.pos()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn statute() {
    assert_eq!(
        analyse("제3조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다"),
        "제/XPN 3/SN 조/NNG (/SSO 정의/NNG )/SSC 이/MM 법/NNG 에서/JKB 사용/NNG \
         하/XSV 는/ETM 용어/NNG 의/JKG 뜻/NNG 은/JX 다음/NNG 과/JKB 같/VA 다/EC"
    );
}

#[test]
fn finance() {
    assert_eq!(
        analyse("삼성전자의 2024년 영업이익은 6조원이다"),
        "삼성전자/NNP 의/JKG 2024/SN 년/NNBC 영업/NNG 이익/NNG 은/JX 6/SN 조/NR \
         원/NNBC 이/VCP 다/EC"
    );
}

#[test]
fn manufacturing() {
    assert_eq!(
        analyse("설비 PN-4471-A의 점검 주기"),
        "설비/NNG PN/SL -/SY 4471/SN -/SY A/SL 의/JKG 점검/NNG 주기/NNG"
    );
}

#[test]
fn left_space_penalty() {
    // Without mecab-ko's penalty MeCab splits 이(JKS) off after the space.
    assert_eq!(analyse("화학 이외의 것"), "화학/NNG 이외/NNG 의/JKG 것/NNB");
}

#[test]
fn line_breaks_are_whitespace() {
    // One lattice across the (hard-wrapped) line, as in MeCab; analysing
    // the lines apart would end the first at 사용/NNG 료의/NNG.
    assert_eq!(
        analyse("권리사용료의\n안분을 위한 조정액"),
        "권리/NNG 사용료/NNG 의/JKG 안분/NNG 을/JKO 위한/VV+ETM 조정액/NNG"
    );
}

#[test]
fn mixed_scripts_and_full_width() {
    assert_eq!(
        analyse("ＡＢＣ １２３ 가나다"),
        "ＡＢＣ/SL １２３/SN 가나/NNG 다/VCP+EC"
    );
    assert_eq!(
        analyse("Apple의 iPhone 15 Pro는 2023년 9월에 출시되었다."),
        "Apple/SL 의/JKG iPhone/SL 15/SN Pro/SL 는/JX 2023/SN 년/NNBC 9/SN 월/NNBC \
         에/JKB 출시/NNG 되/XSV 었/EP 다/EF ./SF"
    );
}

#[test]
fn features_kind_and_parts() {
    let text = "삼성전자의 점검을 했다";
    let ms = dict().tokenize(text);
    let first = ms[0];
    assert_eq!((first.start, first.end), (0, "삼성전자".len()));
    assert_eq!(
        first.feature,
        "NNP,*,F,삼성전자,Compound,*,*,삼성/NNG/*+전자/NNG/*"
    );
    assert_eq!(first.kind(), "Compound");
    assert_eq!(first.parts(), vec![("삼성", "NNG"), ("전자", "NNG")]);
    assert!(!first.unknown);

    let did = ms
        .iter()
        .find(|m| &text[m.start..m.end] == "했")
        .expect("했");
    assert_eq!(did.pos(), "VV+EP");
    assert_eq!(did.kind(), "Inflect");
    assert_eq!(did.parts(), vec![("하", "VV"), ("았", "EP")]);

    let particle = ms[1];
    assert_eq!(particle.pos(), "JKG");
    assert_eq!(particle.kind(), "*");
    assert!(particle.parts().is_empty());
}

#[test]
fn unknown_words() {
    let text = "PN-4471";
    let ms = dict().tokenize(text);
    assert!(ms.iter().all(|m| m.unknown), "{ms:?}");
    assert_eq!(ms[0].pos(), "SL");
    assert_eq!(ms[0].kind(), "*");
    assert!(ms[0].parts().is_empty());
}

#[test]
fn offsets_skip_whitespace_and_lines() {
    assert!(dict().tokenize("").is_empty());
    assert!(dict().tokenize(" \t\r\n  \n").is_empty());
    let text = "  앞 공백\r\n\n뒤 공백  😀끝";
    let ms = dict().tokenize(text);
    let surfaces: Vec<&str> = ms.iter().map(|m| &text[m.start..m.end]).collect();
    assert_eq!(surfaces, ["앞", "공백", "뒤", "공백", "😀", "끝"]);
    for pair in ms.windows(2) {
        assert!(pair[0].end <= pair[1].start);
    }
}

#[test]
fn long_lines_are_cut_without_losing_text() {
    let sentence = "한국은행은 기준금리를 연 3.50%로 동결했다고 밝혔다. ";
    let text = sentence.repeat(400); // ~30 KB on one line
    let ms = dict().tokenize(&text);
    let joined: String = ms.iter().map(|m| &text[m.start..m.end]).collect();
    let expected: String = text.split_whitespace().collect();
    assert_eq!(joined, expected);
    let one = dict().tokenize(sentence).len();
    assert_eq!(ms.len(), one * 400);

    // No whitespace at all: cut at a character boundary.
    let text = "가나다라마바사".repeat(1000);
    let ms = dict().tokenize(&text);
    assert_eq!(ms.first().map(|m| m.start), Some(0));
    assert_eq!(ms.last().map(|m| m.end), Some(text.len()));
    assert!(ms.windows(2).all(|p| p[0].end == p[1].start));
}

#[test]
fn debug_and_thread_safety() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Dictionary>();
    let debug = format!("{:?}", dict());
    assert!(
        debug.starts_with("Dictionary {") && debug.ends_with(".. }"),
        "{debug}"
    );
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("seogo-mecab-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Self(dir)
    }

    /// Copies `file` from the real dictionary, keeping its first `keep` bytes.
    fn copy(&self, file: &str, keep: Option<usize>) {
        let src = dict_dir().join(file);
        let dst = self.0.join(file);
        // Never write through a hard link into the real dictionary.
        let _ = std::fs::remove_file(&dst);
        match keep {
            None => {
                if std::fs::hard_link(&src, &dst).is_err() {
                    std::fs::copy(&src, &dst).expect("copy dictionary file");
                }
            }
            Some(n) => {
                let bytes = std::fs::read(&src).expect("read dictionary file");
                std::fs::write(&dst, &bytes[..n.min(bytes.len())]).expect("write");
            }
        }
    }

    fn open_err(&self) -> AnalysisError {
        Dictionary::open(&self.0).expect_err("must not open")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn assert_bad(err: AnalysisError, file: &str) {
    match &err {
        AnalysisError::BadDictionary { path, .. } if path.ends_with(file) => {}
        other => panic!("expected BadDictionary naming {file}, got {other:?}"),
    }
    assert!(err.to_string().contains(file), "{err}");
}

#[test]
fn bad_files_are_named() {
    let s = Scratch::new("bad");
    s.copy("char.bin", Some(1000));
    assert_bad(s.open_err(), "char.bin");

    s.copy("char.bin", None);
    s.copy("unk.dic", Some(2000));
    assert_bad(s.open_err(), "unk.dic");

    s.copy("unk.dic", None);
    s.copy("dicrc", None);
    s.copy("matrix.bin", Some(4096));
    assert_bad(s.open_err(), "matrix.bin");

    s.copy("matrix.bin", None);
    s.copy("sys.dic", Some(1 << 20));
    assert_bad(s.open_err(), "sys.dic");

    std::fs::remove_file(s.0.join("sys.dic")).expect("remove");
    std::fs::write(s.0.join("sys.dic"), b"not a dictionary").expect("write");
    assert_bad(s.open_err(), "sys.dic");
}

// The morpheme analyzer (the index's `morph` field) over the dictionary.

fn analyzer() -> MorphAnalyzer {
    MorphAnalyzer::new(loaded().clone())
}

fn terms(text: &str) -> String {
    analyzer().terms(text).join(" ")
}

#[test]
fn pinned_cuts_of_real_sentences() {
    // Particles (의, 은), endings (이다, 였다) and symbols are gone;
    // the compound 삼성전자 is kept whole and split.
    assert_eq!(
        terms("삼성전자의 2024년 영업이익은 6조원이다"),
        "삼성전자 삼성 전자 2024 년 영업 이익 6 조 원"
    );
    // Codes are the identifier field's job; here they are only parts.
    assert_eq!(
        terms("설비 PN-4471-A의 점검 주기"),
        "설비 pn 4471 a 점검 주기"
    );
    assert_eq!(
        terms("제3조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다"),
        "3 조 정의 법 사용 용어 뜻 다음 같"
    );
    assert_eq!(
        terms("Samsung Electronics의 operating profit은 6조 원"),
        "samsung electronics operating profit 6 조 원"
    );
    assert_eq!(terms("２０２４년 ３월 점검하였다"), "2024 년 3 월 점검");
}

#[test]
fn offsets_point_into_the_original_text() {
    let text = "ＰＮ－４４７１의 점검";
    let tokens = analyzer().analyze(text);
    let last = tokens.last().expect("tokens");
    assert_eq!(&text[last.offset_from..last.offset_to], "점검");
    assert_eq!(tokens[0].text, "pn");
    assert_eq!(&text[tokens[0].offset_from..tokens[0].offset_to], "ＰＮ");
}
