//! SEC EDGAR: a company's recent filings from the submissions API
//! (`{base_url}/submissions/CIK##########.json`), each filing's primary
//! document from the archives
//! (`{archives_url}/edgar/data/{cik}/{accession}/{document}`).
//! An accession number never changes content, so it is also the version.

use seogo_docs::Limits;
use seogo_http::{HttpClient, HttpSettings};
use serde::{Deserialize, Serialize};

use crate::{safe_segment, FetchError, Fetcher, Item};

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdgarConfig {
    /// The submissions API (`https://data.sec.gov`).
    pub base_url: String,
    /// The filing archives (`https://www.sec.gov/Archives`).
    pub archives_url: String,
    /// Companies by CIK (`320193` or `0000320193`).
    pub ciks: Vec<String>,
    /// Form types to keep (`10-K`, `10-Q`, `8-K`); empty = every form.
    pub forms: Vec<String>,
    /// Only filings on or after this date (`2023-01-01`).
    pub since: Option<String>,
    /// The most recent filings kept per company (0 = all listed).
    pub limit: usize,
    /// SEC asks for at most 10 requests a second and a `user_agent` that
    /// names a contact.
    pub http: HttpSettings,
}

impl Default for EdgarConfig {
    fn default() -> Self {
        Self {
            base_url: "https://data.sec.gov".into(),
            archives_url: "https://www.sec.gov/Archives".into(),
            ciks: Vec::new(),
            forms: vec!["10-K".into(), "10-Q".into()],
            since: None,
            limit: 8,
            http: HttpSettings {
                requests_per_second: 8.0,
                ..HttpSettings::default()
            },
        }
    }
}

/// The part of a submissions document used here (parallel arrays).
#[derive(Debug, Deserialize)]
struct Submissions {
    filings: Filings,
}

#[derive(Debug, Deserialize)]
struct Filings {
    recent: Recent,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recent {
    accession_number: Vec<String>,
    filing_date: Vec<String>,
    #[serde(default)]
    report_date: Vec<String>,
    form: Vec<String>,
    primary_document: Vec<String>,
}

pub(crate) struct Edgar {
    config: EdgarConfig,
    client: HttpClient,
    max_bytes: u64,
}

impl Edgar {
    pub(crate) fn new(config: &EdgarConfig, limits: &Limits) -> Result<Self, FetchError> {
        if config.ciks.is_empty() {
            return Err(FetchError::Settings(
                "edgar: list the companies in `ciks`".into(),
            ));
        }
        for cik in &config.ciks {
            cik_number(cik)?;
        }
        Ok(Self {
            config: config.clone(),
            client: HttpClient::new(&config.http)?,
            max_bytes: limits.max_file_bytes,
        })
    }

    fn company(&self, cik: u64) -> Result<Vec<Item>, FetchError> {
        let url = format!(
            "{}/submissions/CIK{cik:010}.json",
            self.config.base_url.trim_end_matches('/')
        );
        let body = self.client.get(&url, &[], self.max_bytes)?;
        filings(&self.config, cik, &body).map_err(|reason| FetchError::response(&url, reason))
    }
}

impl Fetcher for Edgar {
    fn list(&self) -> Result<Vec<Item>, FetchError> {
        let mut items = Vec::new();
        for cik in &self.config.ciks {
            items.extend(self.company(cik_number(cik)?)?);
        }
        Ok(items)
    }

    fn download(&self, item: &Item) -> Result<Vec<u8>, FetchError> {
        Ok(self.client.get(&item.locator, &[], self.max_bytes)?)
    }
}

/// The filings of company `cik` that the config keeps, newest first, from
/// its submissions document.
pub(crate) fn filings(
    config: &EdgarConfig,
    cik: u64,
    submissions: &[u8],
) -> Result<Vec<Item>, String> {
    let submissions: Submissions = serde_json::from_slice(submissions)
        .map_err(|e| format!("not a submissions document: {e}"))?;
    let recent = submissions.filings.recent;
    let n = recent.accession_number.len();
    if [
        recent.filing_date.len(),
        recent.form.len(),
        recent.primary_document.len(),
    ]
    .iter()
    .any(|&len| len != n)
    {
        return Err("filing arrays of different lengths".into());
    }
    let since = config.since.as_deref().unwrap_or("");
    let mut items = Vec::new();
    for i in 0..n {
        let form = &recent.form[i];
        let wanted = config.forms.is_empty() || config.forms.iter().any(|f| f == form);
        // ISO dates compare as strings.
        if !wanted || recent.filing_date[i].as_str() < since {
            continue;
        }
        let accession = &recent.accession_number[i];
        let document = &recent.primary_document[i];
        if !is_plain(accession) || !is_plain(document) || document.is_empty() {
            tracing::warn!(%accession, %document, "EDGAR filing with an unusable name skipped");
            continue;
        }
        let period = recent.report_date.get(i).map(String::as_str).unwrap_or("");
        items.push(Item {
            id: accession.clone(),
            version: accession.clone(),
            file: format!(
                "{cik}/{}",
                safe_segment(&format!("{form}_{period}_{document}"))
            ),
            locator: format!(
                "{}/edgar/data/{cik}/{}/{document}",
                config.archives_url.trim_end_matches('/'),
                accession.replace('-', "")
            ),
        });
        if config.limit > 0 && items.len() == config.limit {
            break;
        }
    }
    Ok(items)
}

fn cik_number(cik: &str) -> Result<u64, FetchError> {
    cik.trim()
        .parse()
        .map_err(|_| FetchError::Settings(format!("edgar: `{cik}` is not a CIK (digits only)")))
}

/// A name that can go into a URL path as is: no separators, no `..`.
fn is_plain(name: &str) -> bool {
    !name.contains(['/', '\\', '?', '#', '%']) && !name.contains("..")
}
