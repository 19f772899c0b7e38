//! OpenDART (금융감독원 전자공시 Open API): a company's disclosures from
//! `list.json` (paged), each filing's document from `document.xml`, which
//! answers with a zip of the filing's XML files (or, on an error, a short
//! status document with a 200). A 접수번호 (`rcept_no`) never changes
//! content, so it is also the version.

use std::path::Path;

use seogo_docs::Limits;
use seogo_http::{HttpClient, HttpSettings};
use serde::{Deserialize, Serialize};

use crate::{safe_segment, secret, FetchError, Fetcher, Item};

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DartConfig {
    /// `https://opendart.fss.or.kr`
    pub base_url: String,
    /// The 인증키 (`crtfc_key`); when unset, read from `api_key_env`.
    pub api_key: Option<String>,
    /// The environment variable holding the 인증키.
    pub api_key_env: String,
    /// Companies by 고유번호 (8 digits, e.g. `00126380`).
    pub corp_codes: Vec<String>,
    /// 공시유형 (`A` 정기공시, `B` 주요사항보고 …); empty = all.
    pub disclosure_type: Option<String>,
    /// Keep reports whose 보고서명 contains one of these (`사업보고서`,
    /// `반기보고서`); empty = all.
    pub report_names: Vec<String>,
    /// First 접수일자 searched (`20230101`); required.
    pub since: String,
    /// Rate, retries and TLS for OpenDART.
    pub http: HttpSettings,
}

impl Default for DartConfig {
    fn default() -> Self {
        Self {
            base_url: "https://opendart.fss.or.kr".into(),
            api_key: None,
            api_key_env: "OPENDART_API_KEY".into(),
            corp_codes: Vec::new(),
            disclosure_type: Some("A".into()),
            report_names: Vec::new(),
            since: String::new(),
            http: HttpSettings {
                // The published quota is about 1,000 calls a minute.
                requests_per_second: 5.0,
                ..HttpSettings::default()
            },
        }
    }
}

/// One page of `list.json`.
#[derive(Debug, Deserialize)]
struct Page {
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    total_page: u32,
    #[serde(default)]
    list: Vec<Disclosure>,
}

#[derive(Debug, Deserialize)]
struct Disclosure {
    corp_code: String,
    report_nm: String,
    rcept_no: String,
}

/// `list.json`'s status for "no data": an empty result, not an error.
const NO_DATA: &str = "013";
/// Pages asked for at most per company (100 disclosures each).
const MAX_PAGES: u32 = 50;

pub(crate) struct Dart {
    config: DartConfig,
    key: String,
    client: HttpClient,
    limits: Limits,
}

impl Dart {
    pub(crate) fn new(config: &DartConfig, limits: &Limits) -> Result<Self, FetchError> {
        if config.corp_codes.is_empty() {
            return Err(FetchError::Settings(
                "dart: list the companies in `corp_codes`".into(),
            ));
        }
        if config.since.len() != 8 || !config.since.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FetchError::Settings(format!(
                "dart: `since` must be a date as YYYYMMDD, not `{}`",
                config.since
            )));
        }
        Ok(Self {
            key: secret(
                &config.api_key,
                &config.api_key_env,
                "dart: no OpenDART api_key",
            )?,
            config: config.clone(),
            client: HttpClient::new(&config.http)?,
            limits: limits.clone(),
        })
    }

    fn url(&self, endpoint: &str) -> String {
        format!(
            "{}/api/{endpoint}",
            self.config.base_url.trim_end_matches('/')
        )
    }

    fn company(&self, corp_code: &str) -> Result<Vec<Item>, FetchError> {
        let url = self.url("list.json");
        let mut items = Vec::new();
        let mut page_no = 1;
        loop {
            let page_text = page_no.to_string();
            let mut query = vec![
                ("crtfc_key", self.key.as_str()),
                ("corp_code", corp_code),
                ("bgn_de", self.config.since.as_str()),
                ("page_no", page_text.as_str()),
                ("page_count", "100"),
            ];
            if let Some(kind) = &self.config.disclosure_type {
                query.push(("pblntf_ty", kind.as_str()));
            }
            let body = self.client.get(&url, &query, self.limits.max_file_bytes)?;
            let page: Page = serde_json::from_slice(&body)
                .map_err(|e| FetchError::response(&url, format!("not a list.json page: {e}")))?;
            match page.status.as_str() {
                "000" => {}
                NO_DATA => return Ok(items),
                status => {
                    return Err(FetchError::response(
                        &url,
                        format!("OpenDART status {status}: {}", page.message),
                    ))
                }
            }
            for d in page.list {
                let wanted = self.config.report_names.is_empty()
                    || self
                        .config
                        .report_names
                        .iter()
                        .any(|n| d.report_nm.contains(n.as_str()));
                if !wanted {
                    continue;
                }
                if !d.rcept_no.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(FetchError::response(
                        &url,
                        format!("odd rcept_no `{}`", d.rcept_no),
                    ));
                }
                items.push(Item {
                    file: format!(
                        "{}/{}",
                        safe_segment(&d.corp_code),
                        safe_segment(&format!("{}_{}.xml", d.rcept_no, d.report_nm))
                    ),
                    id: d.rcept_no.clone(),
                    version: d.rcept_no.clone(),
                    locator: d.rcept_no,
                });
            }
            if page_no >= page.total_page.min(MAX_PAGES) {
                return Ok(items);
            }
            page_no += 1;
        }
    }
}

impl Fetcher for Dart {
    fn list(&self) -> Result<Vec<Item>, FetchError> {
        let mut items = Vec::new();
        for corp in &self.config.corp_codes {
            items.extend(self.company(corp)?);
        }
        Ok(items)
    }

    /// The filing's main XML: the member named after the 접수번호, else the
    /// largest XML member (the rest are attachments such as the audit
    /// report).
    fn download(&self, item: &Item) -> Result<Vec<u8>, FetchError> {
        let url = self.url("document.xml");
        let bytes = self.client.get(
            &url,
            &[
                ("crtfc_key", self.key.as_str()),
                ("rcept_no", item.locator.as_str()),
            ],
            self.limits.max_file_bytes,
        )?;
        if !bytes.starts_with(b"PK") {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(400)]).into_owned();
            return Err(FetchError::response(
                format!("{url} ({})", item.id),
                format!(
                    "no zip in the answer: {}",
                    text.split_whitespace().collect::<Vec<_>>().join(" ")
                ),
            ));
        }
        let name = format!("{}.zip", item.id);
        let members = seogo_docs::parse::unzip(Path::new(&name), &bytes, &self.limits)?;
        let main = format!("{}.xml", item.id);
        members
            .iter()
            .find(|(n, _)| n == &main)
            .or_else(|| {
                members
                    .iter()
                    .filter(|(n, _)| n.to_ascii_lowercase().ends_with(".xml"))
                    .max_by_key(|(_, data)| data.len())
            })
            .map(|(_, data)| data.clone())
            .ok_or_else(|| FetchError::response(name, "no XML document in the zip"))
    }
}
