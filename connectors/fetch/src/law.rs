//! 국가법령정보센터 Open API: each configured statute found by name through
//! `lawSearch.do` (XML, paged), its current text from `lawService.do` by
//! 법령일련번호 (`MST`). The 법령ID is stable across amendments and the
//! 법령일련번호 changes with each, so an amendment replaces the mirrored
//! file and re-embeds only that statute.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use seogo_docs::Limits;
use seogo_http::{HttpClient, HttpSettings};
use serde::{Deserialize, Serialize};

use crate::{safe_segment, secret, FetchError, Fetcher, Item};

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LawConfig {
    /// `https://www.law.go.kr`
    pub base_url: String,
    /// The user id issued for the API (`OC`); when unset, read from
    /// `oc_env`.
    pub oc: Option<String>,
    /// The environment variable holding the user id.
    pub oc_env: String,
    /// Statutes by their exact Korean name (`산업안전보건법`). A name the
    /// search does not find is an error: a renamed statute must not
    /// silently drop out of the collection.
    pub laws: Vec<String>,
    /// Rate, retries and TLS for the law information service.
    pub http: HttpSettings,
}

impl Default for LawConfig {
    fn default() -> Self {
        Self {
            base_url: "https://www.law.go.kr".into(),
            oc: None,
            oc_env: "LAW_API_OC".into(),
            laws: Vec::new(),
            http: HttpSettings {
                requests_per_second: 2.0,
                ..HttpSettings::default()
            },
        }
    }
}

/// One `<law>` of a search result.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) serial: String,
    pub(crate) id: String,
    pub(crate) name: String,
}

/// Pages asked for at most per name (100 hits each).
const MAX_PAGES: usize = 10;

pub(crate) struct Law {
    config: LawConfig,
    oc: String,
    client: HttpClient,
    max_bytes: u64,
}

impl Law {
    pub(crate) fn new(config: &LawConfig, limits: &Limits) -> Result<Self, FetchError> {
        if config.laws.is_empty() {
            return Err(FetchError::Settings(
                "law: list the statutes in `laws`".into(),
            ));
        }
        Ok(Self {
            oc: secret(&config.oc, &config.oc_env, "law: no OC (API user id)")?,
            config: config.clone(),
            client: HttpClient::new(&config.http)?,
            max_bytes: limits.max_file_bytes,
        })
    }

    fn url(&self, endpoint: &str) -> String {
        format!(
            "{}/DRF/{endpoint}",
            self.config.base_url.trim_end_matches('/')
        )
    }

    /// The current statute named exactly `name`.
    fn find(&self, name: &str) -> Result<Hit, FetchError> {
        let url = self.url("lawSearch.do");
        let mut seen = 0;
        for page in 1..=MAX_PAGES {
            let page_text = page.to_string();
            let body = self.client.get(
                &url,
                &[
                    ("OC", self.oc.as_str()),
                    ("target", "law"),
                    ("type", "XML"),
                    ("query", name),
                    ("display", "100"),
                    ("page", page_text.as_str()),
                ],
                self.max_bytes,
            )?;
            let text = String::from_utf8_lossy(&body);
            let (total, hits) =
                search_results(&text).map_err(|reason| FetchError::response(&url, reason))?;
            if let Some(hit) = hits.iter().find(|h| h.name.trim() == name.trim()) {
                return Ok(hit.clone());
            }
            seen += hits.len();
            if hits.is_empty() || seen >= total {
                break;
            }
        }
        Err(FetchError::response(
            &url,
            format!("no statute named `{name}` (renamed or repealed?); nothing was removed"),
        ))
    }
}

impl Fetcher for Law {
    fn list(&self) -> Result<Vec<Item>, FetchError> {
        self.config
            .laws
            .iter()
            .map(|name| {
                let hit = self.find(name)?;
                if !hit.serial.bytes().all(|b| b.is_ascii_digit()) || hit.serial.is_empty() {
                    return Err(FetchError::response(
                        name,
                        format!("odd 법령일련번호 `{}`", hit.serial),
                    ));
                }
                Ok(Item {
                    file: safe_segment(&format!("{}_{}.xml", hit.id, hit.name)),
                    id: hit.id,
                    version: hit.serial.clone(),
                    locator: hit.serial,
                })
            })
            .collect()
    }

    fn download(&self, item: &Item) -> Result<Vec<u8>, FetchError> {
        let url = self.url("lawService.do");
        let body = self.client.get(
            &url,
            &[
                ("OC", self.oc.as_str()),
                ("target", "law"),
                ("MST", item.locator.as_str()),
                ("type", "XML"),
            ],
            self.max_bytes,
        )?;
        // The service answers errors with a 200 and an HTML or short XML page.
        let head = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
        if !head.contains("<법령") {
            return Err(FetchError::response(
                format!("{url} (MST {})", item.locator),
                format!(
                    "not a 법령 document: {}",
                    head.split_whitespace()
                        .take(30)
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ));
        }
        Ok(body)
    }
}

/// `totalCnt` and the `<law>` entries of a `lawSearch.do` answer.
pub(crate) fn search_results(xml: &str) -> Result<(usize, Vec<Hit>), String> {
    let mut reader = Reader::from_str(xml);
    let mut total = None;
    let mut hits = Vec::new();
    let mut current: Option<Hit> = None;
    let mut text = String::new();
    let mut root_seen = false;
    loop {
        match reader.read_event().map_err(|e| format!("not XML: {e}"))? {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if !root_seen {
                    root_seen = true;
                    if name != "LawSearch" {
                        return Err(format!("a <{name}> answer, not <LawSearch>"));
                    }
                }
                if name == "law" {
                    current = Some(Hit::default());
                }
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Some(s) =
                    resolve_predefined_entity(&r.xml_content(XmlVersion::Implicit1_0))
                {
                    text.push_str(s);
                }
            }
            Event::End(e) => {
                let value = text.trim().to_string();
                match (e.local_name().as_ref(), current.as_mut()) {
                    ("law", _) => hits.extend(current.take()),
                    ("totalCnt", _) => {
                        total = Some(value.parse().map_err(|_| format!("totalCnt `{value}`"))?);
                    }
                    (name, Some(hit)) => match name {
                        "법령일련번호" => hit.serial = value,
                        "법령ID" => hit.id = value,
                        "법령명한글" => hit.name = value,
                        _ => {}
                    },
                    _ => {}
                }
                text.clear();
            }
            // Search answers carry no DTD; one that does is not trusted.
            Event::DocType(_) => return Err("a DTD in a search answer".into()),
            Event::Eof => break,
            _ => {}
        }
    }
    let total = total.ok_or("no <totalCnt> in the answer")?;
    Ok((total, hits))
}
