//! API sources (EDGAR, OpenDART, the law information service) through the
//! real binary against a local server replaying recorded-format answers:
//! retries, filters, incremental re-fetch of an amended statute, a
//! withdrawn filing deleted, and a listing that fails mid-way deleting
//! nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use seogo_tests::replay::{ReplayServer, Reply};
use seogo_tests::{run, seogo, shared_data, stderr, stdout};

fn repo_file(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> Vec<u8> {
    repo_file(&format!("connectors/fetch/fixtures/{name}"))
}

/// OpenDART's `document.xml` answer: the filing's XML files in a zip.
fn dart_zip(rcept_no: &str, xml: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file(format!("{rcept_no}.xml"), options)
        .expect("member");
    zip.write_all(xml).expect("write");
    zip.start_file(format!("{rcept_no}_00760.xml"), options)
        .expect("attachment");
    zip.write_all("<DOCUMENT><DOCUMENT-NAME>감사보고서</DOCUMENT-NAME></DOCUMENT>".as_bytes())
        .expect("write");
    zip.finish().expect("zip").into_inner()
}

fn sync(data: &Path, config: &Path, name: &str) -> serde_json::Value {
    let out = run(seogo(data)
        .arg("--config")
        .arg(config)
        .args(["sync", name, "--json"]));
    assert!(out.status.success(), "sync {name}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("sync --json")
}

fn n(report: &serde_json::Value, path: &[&str]) -> u64 {
    let mut v = report;
    for key in path {
        v = &v[*key];
    }
    v.as_u64().unwrap_or_else(|| panic!("{path:?} in {report}"))
}

fn docs(data: &Path) -> serde_json::Map<String, serde_json::Value> {
    let path = data.join("collections/default/manifest.json");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("manifest")).expect("json");
    manifest["docs"].as_object().cloned().expect("docs")
}

/// Documents whose source lies under `dir`.
fn docs_under(data: &Path, dir: &Path) -> Vec<String> {
    let dir = std::fs::canonicalize(dir).expect("mirror");
    docs(data)
        .into_iter()
        .filter(|(_, d)| {
            d["source"]
                .as_str()
                .is_some_and(|s| Path::new(s).starts_with(&dir))
        })
        .map(|(id, _)| id)
        .collect()
}

fn top_hit(data: &Path, query: &str) -> serde_json::Value {
    let out = run(seogo(data).args(["search", query, "--mode", "bm25", "-k", "1", "--json"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let hits: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    hits[0]["chunk"].clone()
}

struct Site {
    api: ReplayServer,
    root: PathBuf,
    config: PathBuf,
    data: PathBuf,
}

impl Site {
    fn mirror(&self, name: &str) -> PathBuf {
        self.root.join("mirror").join(name)
    }
}

/// The three API sources, each mirrored under `mirror/NAME`.
fn site(tmp: &Path) -> Site {
    let api = ReplayServer::start();
    let base = &api.base;
    let root = tmp.to_path_buf();
    let http = "[sources.fetch.http]\nrequests_per_second = 50\nretries = 2\nbackoff_ms = 5\n";
    let config = root.join("seogo.toml");
    let mirror = |name: &str| root.join("mirror").join(name).display().to_string();
    std::fs::write(
        &config,
        format!(
            "[[sources]]\nname = \"sec\"\npath = \"{sec}\"\nconnector = \"finance\"\n\
             [sources.fetch]\nkind = \"edgar\"\nbase_url = \"{base}\"\n\
             archives_url = \"{base}/Archives\"\nciks = [\"1084869\", \"0000072333\"]\n\
             forms = [\"8-K\"]\n{http}\n\
             [[sources]]\nname = \"dart\"\npath = \"{dart}\"\nconnector = \"finance\"\n\
             [sources.fetch]\nkind = \"dart\"\nbase_url = \"{base}\"\napi_key = \"TESTKEY\"\n\
             corp_codes = [\"00126380\"]\nreport_names = [\"사업보고서\", \"반기보고서\"]\n\
             since = \"20230101\"\n{http}\n\
             [[sources]]\nname = \"laws\"\npath = \"{laws}\"\nconnector = \"public\"\n\
             [sources.fetch]\nkind = \"law\"\nbase_url = \"{base}\"\noc = \"tester\"\n\
             laws = [\"작업장 안전보건법\", \"공공기록 정보공개법\"]\n{http}",
            sec = mirror("sec"),
            dart = mirror("dart"),
            laws = mirror("laws"),
        ),
    )
    .expect("config");

    // EDGAR: the first company's listing fails once (retried).
    let edgar = shared_data().join("finance-sec-edgar/html");
    api.route(
        "/submissions/CIK0001084869.json",
        &[],
        vec![
            Reply::status(503),
            Reply::ok(fixture("edgar-submissions-CIK0001084869.json")),
        ],
    );
    api.route(
        "/submissions/CIK0000072333.json",
        &[],
        vec![Reply::ok(fixture("edgar-submissions-CIK0000072333.json"))],
    );
    api.route(
        "/Archives/edgar/data/1084869/000143774923035167/flws20231214_8k.htm",
        &[],
        vec![Reply::ok(
            std::fs::read(edgar.join("1800Flowers.8-K.html")).expect("8-K"),
        )],
    );
    api.route(
        "/Archives/edgar/data/72333/000007233323000021/jwn-20230301.htm",
        &[],
        vec![Reply::ok(
            std::fs::read(edgar.join("Nordstrom.8-K.html")).expect("8-K"),
        )],
    );

    // OpenDART: two pages; the 사업보고서 and a 반기보고서 (the same
    // synthetic document with its 보고서명 changed).
    let annual = repo_file("connectors/finance/fixtures/dart-synthetic-사업보고서.xml");
    let half = String::from_utf8(annual.clone())
        .expect("utf-8")
        .replace(">사업보고서<", ">반기보고서<")
        .replace(
            "1969년 1월 13일 설립",
            "1969년 1월 13일 설립(반기 기준 재확인)",
        );
    api.route(
        "/api/list.json",
        &[("page_no", "1")],
        vec![Reply::ok(fixture("dart-list-page1.json"))],
    );
    api.route(
        "/api/list.json",
        &[("page_no", "2")],
        vec![Reply::ok(fixture("dart-list-page2.json"))],
    );
    api.route(
        "/api/document.xml",
        &[("rcept_no", "20240312000736")],
        vec![Reply::ok(dart_zip("20240312000736", &annual))],
    );
    api.route(
        "/api/document.xml",
        &[("rcept_no", "20230814002310")],
        vec![Reply::ok(dart_zip("20230814002310", half.as_bytes()))],
    );

    // The law service: one search answer, the two statutes by serial.
    api.route(
        "/DRF/lawSearch.do",
        &[],
        vec![Reply::ok(fixture("law-search.xml"))],
    );
    api.route(
        "/DRF/lawService.do",
        &[("MST", "990002")],
        vec![Reply::ok(repo_file(
            "connectors/public/fixtures/statute-workplace-safety.xml",
        ))],
    );
    api.route(
        "/DRF/lawService.do",
        &[("MST", "990001")],
        vec![Reply::ok(repo_file(
            "connectors/public/fixtures/statute-info-disclosure.xml",
        ))],
    );
    Site {
        api,
        config,
        data: root.join("data"),
        root,
    }
}

#[test]
fn api_sources_mirror_and_sync_incrementally_and_never_mass_delete() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = site(tmp.path());
    let (data, config, api) = (&site.data, &site.config, &site.api);

    // EDGAR: only the 8-Ks, the 503 retried, the traversal name skipped.
    let sec = sync(data, config, "sec");
    assert_eq!(n(&sec, &["fetch", "listed"]), 2, "{sec}");
    assert_eq!(n(&sec, &["fetch", "downloaded"]), 2, "{sec}");
    assert_eq!(n(&sec, &["files"]), 2, "{sec}");
    assert_eq!(
        n(&sec, &["added"]) as usize,
        docs_under(data, &site.mirror("sec")).len()
    );
    let requests = api.requests();
    let listings = requests
        .iter()
        .filter(|r| r.starts_with("/submissions/CIK0001084869.json"))
        .count();
    assert_eq!(listings, 2, "one 503, one retry: {requests:#?}");
    assert!(!requests
        .iter()
        .any(|r| r.contains("passwd") || r.contains("10k")));
    let hit = top_hit(data, "Submission of Matters to a Vote of Security Holders");
    assert!(
        hit["doc_id"]
            .as_str()
            .unwrap_or_default()
            .contains("flws20231214_8k.htm"),
        "{hit}"
    );

    // OpenDART: both pages read with the key; the 임원 report filtered out;
    // the filing's main XML taken from the zip.
    let dart = sync(data, config, "dart");
    assert_eq!(n(&dart, &["fetch", "listed"]), 2, "{dart}");
    assert_eq!(n(&dart, &["fetch", "downloaded"]), 2, "{dart}");
    assert!(api
        .requests()
        .iter()
        .any(|r| r.starts_with("/api/list.json?")
            && r.contains("crtfc_key=TESTKEY")
            && r.contains("page_no=2")));
    let hit = top_hit(data, "반기 기준 재확인");
    assert!(
        hit["doc_id"]
            .as_str()
            .unwrap_or_default()
            .contains("20230814002310"),
        "{hit}"
    );

    // The law service: both statutes found by exact name, one chunk per
    // article cited the statute's way.
    let laws = sync(data, config, "laws");
    assert_eq!(n(&laws, &["fetch", "downloaded"]), 2, "{laws}");
    let hit = top_hit(data, "기록의 공개 의무와 국민의 열람 청구");
    assert_eq!(hit["locator"], "「공공기록 정보공개법」 제1조", "{hit}");

    // Nothing changed upstream: nothing downloaded, nothing re-embedded.
    let before = docs(data);
    for name in ["sec", "dart", "laws"] {
        let again = sync(data, config, name);
        assert_eq!(n(&again, &["fetch", "downloaded"]), 0, "{again}");
        assert_eq!(n(&again, &["chunks_written"]), 0, "{again}");
    }
    assert_eq!(docs(data), before);

    // An amendment: 공공기록 정보공개법 has a new 법령일련번호 and text.
    // Only that statute is downloaded and re-embedded.
    let amended = String::from_utf8(repo_file(
        "connectors/public/fixtures/statute-info-disclosure.xml",
    ))
    .expect("utf-8")
    .replace(
        "행정의 투명성을 높이는",
        "행정의 투명성과 책임성을 함께 높이는",
    );
    let search = String::from_utf8(fixture("law-search.xml"))
        .expect("utf-8")
        .replace("<법령일련번호>990001<", "<법령일련번호>990011<");
    api.route("/DRF/lawSearch.do", &[], vec![Reply::ok(search)]);
    api.route(
        "/DRF/lawService.do",
        &[("MST", "990011")],
        vec![Reply::ok(amended)],
    );
    let laws = sync(data, config, "laws");
    assert_eq!(n(&laws, &["fetch", "downloaded"]), 1, "{laws}");
    assert_eq!(n(&laws, &["fetch", "unchanged"]), 1, "{laws}");
    let law_docs = docs_under(data, &site.mirror("laws")).len() as u64;
    assert!(n(&laws, &["updated"]) >= 1, "{laws}");
    assert_eq!(n(&laws, &["added"]) + n(&laws, &["removed"]), 0, "{laws}");
    assert!(
        n(&laws, &["updated"]) < law_docs,
        "only the amended statute: {laws}"
    );
    let hit = top_hit(data, "투명성과 책임성을 함께");
    assert!(
        hit["text"].as_str().unwrap_or_default().contains("책임성"),
        "{hit}"
    );

    // The DART listing fails on its second page: the sync fails by name
    // and deletes nothing — not the mirror, not the index.
    let kept = docs(data);
    api.route(
        "/api/list.json",
        &[("page_no", "2")],
        vec![Reply::status(500)],
    );
    let out = run(seogo(data)
        .arg("--config")
        .arg(config)
        .args(["sync", "dart"]));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("HTTP 500") && err.contains("nothing was deleted"),
        "{err}"
    );
    assert!(
        !err.contains("TESTKEY"),
        "the key leaked into an error: {err}"
    );
    assert_eq!(docs(data), kept);
    assert!(
        std::fs::read_dir(site.mirror("dart").join("00126380"))
            .expect("mirror")
            .count()
            == 2
    );

    // The 반기보고서 withdrawn (one page now): its file and chunks go.
    let one_page = String::from_utf8(fixture("dart-list-page1.json"))
        .expect("utf-8")
        .replace("\"total_page\":2", "\"total_page\":1");
    api.route(
        "/api/list.json",
        &[("page_no", "1")],
        vec![Reply::ok(one_page)],
    );
    let dart = sync(data, config, "dart");
    assert_eq!(n(&dart, &["fetch", "removed"]), 1, "{dart}");
    assert!(n(&dart, &["removed"]) >= 1, "{dart}");
    assert!(docs_under(data, &site.mirror("dart"))
        .iter()
        .all(|id| !id.contains("20230814002310")));
    let hit = top_hit(data, "반기 기준 재확인");
    assert!(
        !hit["doc_id"]
            .as_str()
            .unwrap_or_default()
            .contains("20230814002310"),
        "{hit}"
    );

    // `seogo sources` shows what each fetch did and the DART failure is
    // replaced by the last good sync.
    let out = run(seogo(data).arg("--config").arg(config).arg("sources"));
    let listing = stdout(&out);
    assert!(
        listing.contains("fetched: 2 listed, 0 downloaded"),
        "{listing}"
    );
    assert!(
        listing.contains("fetched: 1 listed, 0 downloaded, 1 unchanged, 1 removed"),
        "{listing}"
    );
}
