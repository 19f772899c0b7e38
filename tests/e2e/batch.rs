//! `seogo batch` end to end with the real models: a 20-row XLSX and a 20-row
//! CP949 CSV (extra columns, an empty question, a duplicate, a 10,000-
//! character question) answered row for row; a run killed with SIGKILL and
//! resumed asks only what it had not recorded (generator calls counted at
//! a proxy in front of llama-server); a batch run `--as` a group never
//! cites what that group may not read.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use seogo_tests::{copy_tree, run, seogo, stderr, stdout};

/// Facts the questions ask about, one short document each, so prompts stay
/// small and the batch quick on two cores.
const DOCS: [(&str, &str); 4] = [
    (
        "equipment.md",
        "# 설비 점검 기준\n\n컴프레서 C-200의 흡입 필터 교체 주기는 2,000시간이다.\n\n보일러 B-7의 수압 시험 압력은 0.95 MPa이다.\n\n컨베이어 CV-3의 벨트 장력 점검은 매주 월요일에 한다.\n",
    ),
    (
        "alarms.md",
        "# 알람 코드 설명\n\n알람 E-2051은 냉각수 유량 부족을 뜻한다.\n\n알람 E-3107은 주축 모터 과열을 뜻한다.\n\n알람 E-4410은 비상 정지 버튼이 눌렸음을 뜻한다.\n",
    ),
    (
        "safety.md",
        "# 안전 작업 규정\n\n밀폐공간 작업 전 산소 농도는 18% 이상이어야 한다.\n\n지게차의 구내 제한 속도는 시속 10km이다.\n\n용접 작업장에는 소화기를 5m 이내에 둔다.\n",
    ),
    (
        "pay.md",
        "# 임원 보상 규정\n\n임원 성과급 상한은 연봉의 40%이다.\n",
    ),
];

/// Answerable questions: (question, the document that answers it).
const QUESTIONS: [(&str, &str); 17] = [
    (
        "컴프레서 C-200의 흡입 필터 교체 주기는 얼마인가요?",
        "equipment.md",
    ),
    ("C-200 흡입 필터는 몇 시간마다 교체하나요?", "equipment.md"),
    ("보일러 B-7의 수압 시험 압력은 얼마인가요?", "equipment.md"),
    ("B-7 보일러 수압 시험은 몇 MPa로 하나요?", "equipment.md"),
    (
        "컨베이어 CV-3의 벨트 장력 점검은 언제 하나요?",
        "equipment.md",
    ),
    ("알람 E-2051은 무엇을 뜻하나요?", "alarms.md"),
    ("E-2051 알람이 뜨면 무엇이 문제인가요?", "alarms.md"),
    ("알람 E-3107은 무엇을 뜻하나요?", "alarms.md"),
    ("알람 E-4410은 무엇을 뜻하나요?", "alarms.md"),
    (
        "밀폐공간 작업 전 산소 농도는 얼마 이상이어야 하나요?",
        "safety.md",
    ),
    ("지게차의 구내 제한 속도는 얼마인가요?", "safety.md"),
    (
        "구내에서 지게차는 시속 몇 km까지 달릴 수 있나요?",
        "safety.md",
    ),
    ("용접 작업장에서 소화기는 몇 m 이내에 두나요?", "safety.md"),
    (
        "알람 E-3107이 뜨면 어떤 부품이 과열된 것인가요?",
        "alarms.md",
    ),
    (
        "컨베이어 CV-3 벨트 장력은 무슨 요일에 점검하나요?",
        "equipment.md",
    ),
    ("E-4410 알람의 의미는 무엇인가요?", "alarms.md"),
    (
        "밀폐공간에 들어가기 전 산소 농도 기준은 몇 퍼센트인가요?",
        "safety.md",
    ),
];

struct Corpus {
    dir: PathBuf,
    data: PathBuf,
}

/// The documents indexed once (pay.md for group `hr` only).
fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let docs = dir.join("docs");
        let hr = dir.join("hr");
        std::fs::create_dir_all(&docs).expect("mkdir");
        std::fs::create_dir_all(&hr).expect("mkdir");
        for (name, text) in DOCS {
            let folder = if name == "pay.md" { &hr } else { &docs };
            std::fs::write(folder.join(name), text).expect("write");
        }
        let data = dir.join("data");
        for (folder, acl) in [(&docs, None), (&hr, Some("hr"))] {
            let mut cmd = seogo(&data);
            cmd.arg("ingest").arg(folder);
            if let Some(group) = acl {
                cmd.args(["--acl", group]);
            }
            let out = run(&mut cmd);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        std::fs::write(dir.join("local.toml"), "[answer]\nmax_tokens = 96\n").expect("config");
        Corpus { dir, data }
    })
}

/// The 20 input rows: (id, question, owner); row 4 is empty, row 9 repeats
/// row 1, row 14 is 10,000 characters.
fn rows() -> Vec<(String, String, String)> {
    let mut questions: Vec<String> = QUESTIONS.iter().map(|(q, _)| q.to_string()).collect();
    questions.insert(3, String::new());
    questions.insert(8, QUESTIONS[0].0.to_string());
    questions.insert(13, "설비 ".repeat(3334).chars().take(10_000).collect());
    assert_eq!(questions.len(), 20);
    questions
        .into_iter()
        .enumerate()
        .map(|(i, q)| (format!("Q-{:03}", i + 1), q, format!("담당자{}", i % 3)))
        .collect()
}

/// A copy of the indexed corpus for one test: a data directory serves one
/// process at a time.
fn data_copy(tmp: &Path) -> PathBuf {
    let data = tmp.join("data");
    copy_tree(&corpus().data, &data);
    data
}

fn batch(data: &Path, config: Option<&Path>, input: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = seogo(data);
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.arg("batch")
        .arg(input)
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

fn read_csv_output(path: &Path) -> Vec<csv::StringRecord> {
    let bytes = std::fs::read(path).expect("output");
    let text = String::from_utf8(bytes).expect("UTF-8 output");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        [
            "id",
            "질문",
            "담당",
            "answer",
            "grounded",
            "confidence",
            "citations",
            "error"
        ]
    );
    reader.records().map(|r| r.expect("record")).collect()
}

/// Each output row lines up with its input row; the empty and oversized
/// rows carry an error, the rest an answer, grounded ones with citations
/// of the document that holds the fact.
fn check_rows(outputs: &[Vec<String>]) {
    let input = rows();
    assert_eq!(outputs.len(), input.len());
    let mut grounded = 0;
    for (i, ((id, question, owner), out)) in input.iter().zip(outputs).enumerate() {
        let line = format!("row {}: {out:?}", i + 1);
        assert_eq!(&out[0], id, "{line}");
        assert_eq!(&out[1], question, "{line}");
        assert_eq!(&out[2], owner, "{line}");
        let error = &out[7];
        if question.is_empty() || question.chars().count() > 2000 {
            assert!(!error.is_empty(), "{line}");
            assert!(out[3].is_empty(), "{line}");
            continue;
        }
        assert!(error.is_empty(), "{line}");
        assert!(!out[3].is_empty(), "{line}");
        if out[4] == "true" {
            grounded += 1;
            let expected = QUESTIONS
                .iter()
                .find(|(q, _)| q == question)
                .and_then(|(_, doc)| DOCS.iter().find(|(name, _)| name == doc))
                .map(|(_, text)| *text)
                .expect("known question");
            let title = expected
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("# ");
            assert!(out[6].contains(title), "{line}");
            assert!(out[5].parse::<f32>().is_ok_and(|c| c > 0.0), "{line}");
            // Every quote is verbatim from a document.
            for citation in out[6].lines() {
                let quote = citation
                    .split_once(": \"")
                    .map(|(_, q)| q.trim_end_matches('"'))
                    .unwrap_or_default();
                assert!(
                    !quote.is_empty() && DOCS.iter().any(|(_, text)| text.contains(quote)),
                    "{line}"
                );
            }
        }
    }
    // A small CPU model declines now and then; most must be answered.
    assert!(
        grounded >= 14,
        "only {grounded} of 18 answerable rows grounded"
    );
}

#[test]
fn an_xlsx_of_questions_is_answered_row_for_row() {
    let c = corpus();
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("질문목록.xlsx");
    // Formatted as people do: a merged title above a styled header, a
    // widened question column, a second sheet.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let header_format = rust_xlsxwriter::Format::new()
        .set_bold()
        .set_background_color(0xFFD966);
    let sheet = workbook.add_worksheet();
    sheet.set_name("질문").expect("name");
    sheet
        .merge_range(
            0,
            0,
            0,
            2,
            "2026 정기 점검 질문",
            &rust_xlsxwriter::Format::new(),
        )
        .expect("title");
    for (col, title) in ["id", "질문", "담당"].iter().enumerate() {
        sheet
            .write_string_with_format(1, col as u16, *title, &header_format)
            .expect("cell");
    }
    sheet.set_column_width(1, 57.0).expect("width");
    for (r, (id, question, owner)) in rows().iter().enumerate() {
        let r = r as u32 + 2;
        sheet.write_string(r, 0, id).expect("cell");
        if !question.is_empty() {
            sheet.write_string(r, 1, question).expect("cell");
        }
        sheet.write_string(r, 2, owner).expect("cell");
    }
    workbook
        .add_worksheet()
        .set_name("메모")
        .expect("name")
        .write_string(0, 0, "제출 전 검토")
        .expect("cell");
    workbook.save(&input).expect("save");
    let out = tmp.path().join("answers.xlsx");
    let data = data_copy(tmp.path());
    let result = run(&mut batch(
        &data,
        Some(&c.dir.join("local.toml")),
        &input,
        &out,
        &["--concurrency", "2", "--json"],
    ));
    assert!(result.status.success(), "{}", stderr(&result));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&result)).expect("summary");
    assert_eq!(summary["rows"], 20, "{summary}");
    assert_eq!(
        summary["asked"], 17,
        "the duplicate is asked once: {summary}"
    );
    assert_eq!(summary["question_column"], "질문", "{summary}");
    assert!(
        !seogo_batch::state_path(&out).exists(),
        "the state file outlived a finished run"
    );

    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out).expect("output workbook");
    assert_eq!(book.sheet_names(), ["질문", "메모", "Sources"]);
    let answers = book.worksheet_range("질문").expect("answers sheet");
    let mut lines = answers
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    assert_eq!(lines.next().expect("title")[0], "2026 정기 점검 질문");
    let header = lines.next().expect("header");
    assert_eq!(header[..4], ["id", "질문", "담당", "answer"]);
    check_rows(&lines.collect::<Vec<_>>());
    let sources = book.worksheet_range("Sources").expect("sources sheet");
    assert!(sources.height() > 10, "one line per citation");
    let memo = book.worksheet_range("메모").expect("memo sheet");
    assert_eq!(
        memo.get_value((0, 0)).map(|v| v.to_string()).as_deref(),
        Some("제출 전 검토")
    );

    // The questions sheet kept its formatting: merge, width, header style.
    let sheet_xml = |path: &Path| {
        let mut archive =
            zip::ZipArchive::new(std::fs::File::open(path).expect("open")).expect("zip");
        let mut xml = String::new();
        archive
            .by_name("xl/worksheets/sheet1.xml")
            .expect("sheet")
            .read_to_string(&mut xml)
            .expect("read");
        xml
    };
    let (before, after) = (sheet_xml(&input), sheet_xml(&out));
    assert!(
        after.contains("<mergeCell ref=\"A1:C1\"/>"),
        "the title merge is gone"
    );
    assert!(
        after.contains("width=\"57.7109375\""),
        "the question column's width is gone"
    );
    let style = |xml: &str, at: &str| {
        let from = xml
            .find(&format!("<c r=\"{at}\""))
            .unwrap_or_else(|| panic!("{at}"));
        let tag = &xml[from..from + xml[from..].find('>').expect("tag end")];
        tag.split(" s=\"")
            .nth(1)
            .map(|s| s[..s.find('"').expect("quote")].to_string())
    };
    assert!(style(&before, "B2").is_some(), "the input header is styled");
    assert_eq!(
        style(&after, "B2"),
        style(&before, "B2"),
        "header style changed"
    );
    assert_eq!(
        style(&after, "D2"),
        style(&before, "C2"),
        "answer header unstyled"
    );
}

#[test]
fn a_cp949_csv_batch_killed_and_resumed_asks_each_question_once() {
    let c = corpus();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("id,질문,담당\n");
    for (id, question, owner) in rows() {
        text.push_str(&format!("{id},\"{question}\",{owner}\n"));
    }
    let (bytes, _, unmappable) = encoding_rs::EUC_KR.encode(&text);
    assert!(!unmappable);
    let input = tmp.path().join("questions.csv");
    std::fs::write(&input, &bytes).expect("write");

    // Uninterrupted, with the local generator.
    let whole = tmp.path().join("whole.csv");
    let data = data_copy(tmp.path());
    let result = run(&mut batch(
        &data,
        Some(&c.dir.join("local.toml")),
        &input,
        &whole,
        &["--concurrency", "2"],
    ));
    assert!(result.status.success(), "{}", stderr(&result));
    let whole_rows: Vec<Vec<String>> = read_csv_output(&whole)
        .iter()
        .map(|r| r.iter().map(str::to_string).collect())
        .collect();
    check_rows(&whole_rows);

    // The served generator behind a proxy that counts its calls.
    let llama = crate::openai_generator::start(
        &tmp.path().join("llama-server.log"),
        &["-np", "2", "-c", "8192"],
    );
    let proxy = CountingProxy::start(&llama.base);
    let served = tmp.path().join("served.toml");
    std::fs::write(
        &served,
        format!(
            "[generator]\nkind = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"qwen2.5-1.5b-local\"\n\
             context_length = 4096\n[generator.http]\ntimeout_secs = 300\n[answer]\nmax_tokens = 96\n",
            proxy.base
        ),
    )
    .expect("config");
    let out = tmp.path().join("resumed.csv");
    let state = seogo_batch::state_path(&out);
    let mut child = batch(&data, Some(&served), &input, &out, &["--concurrency", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("batch");
    let recorded = |path: &Path| -> BTreeSet<usize> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|l| l["row"].as_u64())
            .map(|r| r as usize)
            .collect()
    };
    // Rows 4 and 14 are recorded at once (their errors); wait for answers.
    let every = Duration::from_millis(200);
    seogo_tests::poll_until("six rows recorded", Duration::from_secs(600), every, || {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the batch ended early"
        );
        (recorded(&state).len() >= 6).then_some(())
    });
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    let before = recorded(&state);
    assert!(before.len() < 20, "killed too late: {before:?}");
    let calls_before = proxy.calls();

    let result = run(&mut batch(
        &data,
        Some(&served),
        &input,
        &out,
        &["--concurrency", "2", "--resume", "--json"],
    ));
    assert!(result.status.success(), "{}", stderr(&result));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&result)).expect("summary");
    assert_eq!(
        summary["resumed"].as_u64(),
        Some(before.len() as u64),
        "{summary}"
    );
    // Exactly the questions not recorded were asked again, each once.
    let input_rows = rows();
    let pending: BTreeSet<&str> = input_rows
        .iter()
        .enumerate()
        .filter(|(i, _)| !before.contains(i))
        .map(|(_, (_, q, _))| q.as_str())
        .collect();
    let calls_after = proxy.calls() - calls_before;
    assert_eq!(
        calls_after,
        pending.len(),
        "generator calls on resume (pending: {pending:?})"
    );
    assert_eq!(
        summary["asked"].as_u64(),
        Some(pending.len() as u64),
        "{summary}"
    );

    let resumed_rows: Vec<Vec<String>> = read_csv_output(&out)
        .iter()
        .map(|r| r.iter().map(str::to_string).collect())
        .collect();
    check_rows(&resumed_rows);
    // The same rows as the uninterrupted run: inputs and errors.
    let shape = |rows: &[Vec<String>]| -> Vec<(String, String, String, bool)> {
        rows.iter()
            .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), r[7].is_empty()))
            .collect()
    };
    assert_eq!(shape(&resumed_rows), shape(&whole_rows));
    assert!(!state.exists(), "the state file outlived a finished run");
}

#[test]
fn a_batch_run_as_a_group_never_cites_what_it_may_not_read() {
    let c = corpus();
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("q.jsonl");
    std::fs::write(
        &input,
        "{\"no\": 1, \"question\": \"임원 성과급 상한은 연봉의 몇 %인가요?\"}\n",
    )
    .expect("write");
    let data = data_copy(tmp.path());
    let cited = |group: &str| -> Vec<String> {
        let out = tmp.path().join(format!("{group}.jsonl"));
        let result = run(&mut batch(
            &data,
            Some(&c.dir.join("local.toml")),
            &input,
            &out,
            &["--as", group],
        ));
        assert!(result.status.success(), "{}", stderr(&result));
        let line: serde_json::Value = serde_json::from_str(
            std::fs::read_to_string(&out)
                .expect("output")
                .lines()
                .next()
                .expect("row"),
        )
        .expect("json");
        assert_eq!(line["no"], "1", "{line}");
        line["citations"]
            .as_array()
            .expect("citations")
            .iter()
            .filter_map(|c| c["doc_id"].as_str().map(str::to_string))
            .collect()
    };
    let staff = cited("staff");
    assert!(!staff.iter().any(|d| d.ends_with("pay.md")), "{staff:?}");
    // The same question as hr finds it: the filter, not the question, kept it out.
    let hr = cited("hr");
    assert!(hr.iter().any(|d| d.ends_with("pay.md")), "{hr:?}");
}

/// A loopback proxy in front of the generator server that counts chat
/// completion requests.
struct CountingProxy {
    base: String,
    calls: Arc<AtomicUsize>,
}

impl CountingProxy {
    fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = upstream.trim_start_matches("http://").to_string();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let counter = counter.clone();
                std::thread::spawn(move || relay(client, &upstream, &counter));
            }
        });
        Self { base, calls }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// One request (head and Content-Length body) forwarded with
/// `Connection: close`, the response copied back as it streams.
fn relay(mut client: TcpStream, upstream: &str, calls: &AtomicUsize) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read_exact(&mut byte).is_err() {
            return;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let length: usize = text
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    if client.read_exact(&mut body).is_err() {
        return;
    }
    if text.starts_with("POST /v1/chat/completions") {
        calls.fetch_add(1, Ordering::SeqCst);
    }
    let head: String = text
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect::<String>()
        + "Connection: close\r\n\r\n";
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    if server
        .write_all(head.as_bytes())
        .and_then(|()| server.write_all(&body))
        .is_err()
    {
        return;
    }
    let _ = std::io::copy(&mut server, &mut client);
}

#[test]
fn ctrl_c_finishes_the_rows_in_flight_writes_the_output_and_resume_completes_it() {
    let c = corpus();
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("questions.jsonl");
    let mut text = String::new();
    for (id, question, _) in rows().iter().filter(|(_, q, _)| !q.is_empty()).take(6) {
        text.push_str(&serde_json::json!({"id": id, "question": question}).to_string());
        text.push('\n');
    }
    std::fs::write(&input, text).expect("write");
    let out = tmp.path().join("answers.jsonl");
    let state = seogo_batch::state_path(&out);
    let data = data_copy(tmp.path());
    let config = c.dir.join("local.toml");
    let mut child = batch(&data, Some(&config), &input, &out, &["--concurrency", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("batch");
    // The header line, then one row answered.
    let every = Duration::from_millis(100);
    seogo_tests::poll_until("a row recorded", Duration::from_secs(300), every, || {
        assert!(child.try_wait().expect("wait").is_none(), "ended early");
        let lines = std::fs::read_to_string(&state)
            .unwrap_or_default()
            .lines()
            .count();
        (lines >= 2).then_some(())
    });
    let interrupt = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupt.success());
    let stopped = child.wait_with_output().expect("wait");
    let log = String::from_utf8_lossy(&stopped.stderr);
    assert_eq!(stopped.status.code(), Some(3), "{log}");
    assert!(log.contains("--resume"), "{log}");
    assert!(state.exists(), "the state file is needed to resume");

    let lines = |path: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(path)
            .expect("output")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    };
    let partial = lines(&out);
    assert_eq!(partial.len(), 6, "every row is in the output");
    let unanswered = partial
        .iter()
        .filter(|r| r["error"].as_str().is_some_and(|e| e.contains("--resume")))
        .count();
    assert!(
        (1..6).contains(&unanswered),
        "some rows answered, the rest marked: {partial:?}"
    );

    let result = run(&mut batch(
        &data,
        Some(&config),
        &input,
        &out,
        &["--resume", "--json"],
    ));
    assert!(result.status.success(), "{}", stderr(&result));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&result)).expect("summary");
    assert_eq!(summary["resumed"], 6 - unanswered as u64, "{summary}");
    let complete = lines(&out);
    assert_eq!(complete.len(), 6);
    for (before, after) in partial.iter().zip(&complete) {
        assert_eq!(before["id"], after["id"]);
        assert!(after["error"].is_null(), "{after}");
        assert!(
            !after["answer"].as_str().unwrap_or_default().is_empty(),
            "{after}"
        );
    }
}
