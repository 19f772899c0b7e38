//! The mirror's bookkeeping against a fetcher that serves from memory, and
//! the parsers against the recorded-format fixtures. The HTTP side is
//! exercised end to end (tests/e2e/fetch.rs) against a local server.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Items by id → (version, body); `None` makes `list` fail; ids in
/// `broken` fail to download.
#[derive(Default)]
struct Memory {
    items: RefCell<Option<BTreeMap<String, (String, String)>>>,
    broken: RefCell<Vec<String>>,
    downloads: RefCell<Vec<String>>,
}

impl Memory {
    fn with(items: &[(&str, &str, &str)]) -> Self {
        let memory = Memory::default();
        memory.set(items);
        memory
    }

    fn set(&self, items: &[(&str, &str, &str)]) {
        *self.items.borrow_mut() = Some(
            items
                .iter()
                .map(|(id, v, body)| (id.to_string(), (v.to_string(), body.to_string())))
                .collect(),
        );
    }
}

impl Fetcher for Memory {
    fn list(&self) -> Result<Vec<Item>, FetchError> {
        let items = self.items.borrow();
        let items = items
            .as_ref()
            .ok_or_else(|| FetchError::response("memory", "listing failed"))?;
        Ok(items
            .iter()
            .map(|(id, (version, _))| Item {
                id: id.clone(),
                version: version.clone(),
                file: format!("docs/{id}.txt"),
                locator: id.clone(),
            })
            .collect())
    }

    fn download(&self, item: &Item) -> Result<Vec<u8>, FetchError> {
        if self.broken.borrow().contains(&item.id) {
            return Err(FetchError::response(&item.id, "HTTP 503"));
        }
        self.downloads.borrow_mut().push(item.id.clone());
        let items = self.items.borrow();
        Ok(items.as_ref().expect("listed")[&item.id]
            .1
            .clone()
            .into_bytes())
    }
}

fn read(dir: &std::path::Path, id: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(format!("docs/{id}.txt"))).ok()
}

#[test]
fn mirror_downloads_only_what_changed_and_removes_what_vanished() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("mirror");
    let api = Memory::with(&[("a", "1", "alpha"), ("b", "1", "beta"), ("c", "1", "gamma")]);
    let first = mirror(&api, &dir).expect("first");
    assert_eq!((first.listed, first.downloaded, first.unchanged), (3, 3, 0));
    assert_eq!(read(&dir, "b").as_deref(), Some("beta"));

    // b amended, c withdrawn, d new: a is not fetched again.
    api.downloads.borrow_mut().clear();
    api.set(&[
        ("a", "1", "alpha"),
        ("b", "2", "beta v2"),
        ("d", "1", "delta"),
    ]);
    let second = mirror(&api, &dir).expect("second");
    assert_eq!(
        (second.downloaded, second.unchanged, second.removed),
        (2, 1, 1),
        "{second:?}"
    );
    assert_eq!(*api.downloads.borrow(), ["b", "d"]);
    assert_eq!(read(&dir, "b").as_deref(), Some("beta v2"));
    assert_eq!(read(&dir, "c"), None);

    // A file deleted by hand is fetched again even at the same version.
    std::fs::remove_file(dir.join("docs/a.txt")).expect("rm");
    let third = mirror(&api, &dir).expect("third");
    assert_eq!((third.downloaded, third.unchanged), (1, 2));
    assert_eq!(read(&dir, "a").as_deref(), Some("alpha"));
}

#[test]
fn a_failed_or_empty_listing_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("mirror");
    let api = Memory::with(&[("a", "1", "alpha"), ("b", "1", "beta")]);
    mirror(&api, &dir).expect("first");
    let manifest = std::fs::read(dir.join(MANIFEST_FILE)).expect("manifest");

    *api.items.borrow_mut() = None;
    let err = mirror(&api, &dir).expect_err("listing fails");
    assert!(err.to_string().contains("listing failed"), "{err}");
    api.set(&[]);
    let err = mirror(&api, &dir).expect_err("empty listing");
    assert!(err.to_string().contains("listed nothing"), "{err}");

    assert_eq!(read(&dir, "a").as_deref(), Some("alpha"));
    assert_eq!(read(&dir, "b").as_deref(), Some("beta"));
    assert_eq!(
        std::fs::read(dir.join(MANIFEST_FILE)).expect("manifest"),
        manifest
    );
}

#[test]
fn a_failed_download_keeps_the_previous_file_and_is_retried_next_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("mirror");
    let api = Memory::with(&[("a", "1", "alpha"), ("b", "1", "beta")]);
    mirror(&api, &dir).expect("first");

    api.set(&[("a", "2", "alpha v2"), ("b", "2", "beta v2")]);
    api.broken.borrow_mut().push("a".into());
    let report = mirror(&api, &dir).expect("partial");
    assert_eq!(report.downloaded, 1);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].id, "a");
    assert!(report.failed[0].reason.contains("HTTP 503"), "{report:?}");
    assert_eq!(
        read(&dir, "a").as_deref(),
        Some("alpha"),
        "old version kept"
    );

    api.broken.borrow_mut().clear();
    let report = mirror(&api, &dir).expect("healed");
    assert_eq!((report.downloaded, report.unchanged), (1, 1));
    assert_eq!(read(&dir, "a").as_deref(), Some("alpha v2"));
}

#[test]
fn edgar_keeps_the_configured_forms_and_skips_unsafe_names() {
    let config = EdgarConfig {
        forms: vec!["8-K".into()],
        archives_url: "http://127.0.0.1:9/Archives/".into(),
        ..EdgarConfig::default()
    };
    let items = edgar::filings(
        &config,
        1084869,
        &fixture("edgar-submissions-CIK0001084869.json"),
    )
    .expect("parsed");
    // The second 8-K's document is `../../etc/passwd`: skipped.
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item.id, "0001437749-23-035167");
    assert_eq!(item.file, "1084869/8-K_2023-12-14_flws20231214_8k.htm");
    assert_eq!(
        item.locator,
        "http://127.0.0.1:9/Archives/edgar/data/1084869/000143774923035167/flws20231214_8k.htm"
    );

    let since = EdgarConfig {
        forms: Vec::new(),
        since: Some("2023-09-01".into()),
        limit: 2,
        ..EdgarConfig::default()
    };
    let items = edgar::filings(
        &since,
        1084869,
        &fixture("edgar-submissions-CIK0001084869.json"),
    )
    .expect("parsed");
    let forms: Vec<&str> = items.iter().map(|i| i.file.as_str()).collect();
    assert_eq!(
        forms,
        [
            "1084869/8-K_2023-12-14_flws20231214_8k.htm",
            "1084869/10-Q_2023-10-01_flws20231001_10q.htm"
        ]
    );
    assert!(edgar::filings(&since, 1, b"{\"filings\":{}}").is_err());
}

#[test]
fn law_search_results_are_read_with_their_serial_numbers() {
    let xml = String::from_utf8(fixture("law-search.xml")).expect("utf-8");
    let (total, hits) = law::search_results(&xml).expect("parsed");
    assert_eq!(total, 3);
    assert_eq!(hits.len(), 3);
    assert_eq!(
        hits[0],
        law::Hit {
            serial: "990002".into(),
            id: "999002".into(),
            name: "작업장 안전보건법".into(),
        }
    );
    assert!(law::search_results("<html><body>점검 중</body></html>")
        .expect_err("not a search answer")
        .contains("<html>"));
    assert!(law::search_results("<LawSearch><law/></LawSearch>")
        .expect_err("no total")
        .contains("totalCnt"));
}

#[test]
fn names_from_an_api_cannot_leave_the_mirror() {
    assert_eq!(safe_segment("../../etc/passwd"), "_.._etc_passwd");
    assert_eq!(safe_segment("사업보고서 (2023.12)"), "사업보고서__2023.12_");
    assert_eq!(safe_segment(".hidden"), "hidden");
    assert_eq!(safe_segment("///"), "___");
    assert_eq!(safe_segment(""), "_");
}

#[test]
fn config_is_tagged_by_kind_and_refuses_unknown_keys() {
    let config: FetchConfig = serde_json::from_str(
        r#"{"kind":"law","laws":["산업안전보건법"],"oc":"me","http":{"requests_per_second":1}}"#,
    )
    .expect("law config");
    let FetchConfig::Law(law) = &config else {
        panic!("{config:?}")
    };
    assert_eq!(law.base_url, "https://www.law.go.kr");
    assert_eq!(law.http.requests_per_second, 1.0);
    assert_eq!(
        law.http.retries,
        seogo_http::HttpSettings::default().retries
    );
    assert!(serde_json::from_str::<FetchConfig>(r#"{"kind":"law","lawz":[]}"#).is_err());
    assert!(serde_json::from_str::<FetchConfig>(r#"{"kind":"ftp"}"#).is_err());

    let limits = Limits::default();
    let no_key = FetchConfig::Dart(DartConfig {
        corp_codes: vec!["00126380".into()],
        since: "20230101".into(),
        api_key_env: "SEOGO_TEST_UNSET_KEY".into(),
        ..DartConfig::default()
    });
    let err = no_key.fetcher(&limits).err().expect("no key");
    assert!(err.to_string().contains("$SEOGO_TEST_UNSET_KEY"), "{err}");
    let bad_since = FetchConfig::Dart(DartConfig {
        corp_codes: vec!["00126380".into()],
        since: "2023-01-01".into(),
        api_key: Some("k".into()),
        ..DartConfig::default()
    });
    assert!(bad_since.fetcher(&limits).is_err());
}
