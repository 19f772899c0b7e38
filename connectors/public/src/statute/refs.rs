//! Cross-references in an article's text — `제5조에 따른`, `「행정심판법」
//! 제27조`, `같은 법 제10조제1항`, `같은 조 제2항` — collected as citation
//! strings for the article's `references` metadata. The text itself is
//! left as written (it is what a citation quotes); a reader follows a
//! reference by searching the citation, which is every article's
//! `citation` metadata.

use std::sync::LazyLock;

use regex::Regex;

/// One reference: an optional law (`「…」` or `같은 법`), `제N조(의M)` and
/// its 항/호/목; or `같은 조` followed by a 항/호.
static REFERENCE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?: 「(?P<law>[^」]{1,80})」\s* | (?P<same_law>같은\s*법)\s+ )?
        제(?P<article>\d{1,4})조(?:의(?P<branch>\d{1,3}))?
        (?P<tail>(?:\s*제\d{1,3}항)?(?:\s*제\d{1,3}호(?:의\d{1,3})?)?(?:\s*[가나다라마바사아자차카타파하]목)?)
        | 같은\s*조\s*(?P<same_tail>제\d{1,3}항(?:\s*제\d{1,3}호(?:의\d{1,3})?)?)
        ",
    )
    .ok()
});

/// The references in `text`, in order of first mention, without repeats.
/// `own` (`제3조`) resolves a `같은 조` before any article was named.
pub(crate) fn references(text: &str, own: &str) -> Vec<String> {
    let Some(re) = REFERENCE.as_ref() else {
        return Vec::new();
    };
    let mut found: Vec<String> = Vec::new();
    // What `같은 법` and `같은 조` point back to.
    let mut last_law: Option<String> = None;
    let mut last_article = own.to_string();
    for caps in re.captures_iter(text) {
        let compact = |s: &str| s.split_whitespace().collect::<String>();
        let reference = if let Some(tail) = caps.name("same_tail") {
            format!("{last_article}{}", compact(tail.as_str()))
        } else {
            let Some(article) = caps.name("article") else {
                continue;
            };
            let mut label = format!("제{}조", article.as_str());
            if let Some(branch) = caps.name("branch") {
                label.push('의');
                label.push_str(branch.as_str());
            }
            let law = if let Some(law) = caps.name("law") {
                last_law = Some(law.as_str().trim().to_string());
                last_law.clone()
            } else if caps.name("same_law").is_some() {
                // Unresolved `같은 법` stays as written.
                Some(last_law.clone().unwrap_or_else(|| "같은 법".into()))
            } else {
                None
            };
            let qualified = match law {
                Some(name) if name == "같은 법" => format!("같은 법 {label}"),
                Some(name) => format!("「{name}」 {label}"),
                None => label,
            };
            last_article.clone_from(&qualified);
            let tail = caps
                .name("tail")
                .map_or(String::new(), |t| compact(t.as_str()));
            format!("{qualified}{tail}")
        };
        if !found.contains(&reference) {
            found.push(reference);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_resolve_same_law_and_same_article() {
        let text = "제3조제2항 각 호의 기록에 대하여 같은 조 제2항에 따른 사유를 밝히고, \
                    「전자정부법」 제9조 및 같은 법 제10조 제1항, 이 법 제5조의2에 따라 \
                    제3조제2항을 다시 본다.";
        assert_eq!(
            references(text, "제9조"),
            [
                "제3조제2항",
                "「전자정부법」 제9조",
                "「전자정부법」 제10조제1항",
                "제5조의2",
            ]
        );
        assert_eq!(
            references("같은 조 제1항제2호에 따라 같은 법 제4조를 본다.", "제7조"),
            ["제7조제1항제2호", "같은 법 제4조"]
        );
        assert!(references("제3장 총칙 제1항", "제1조").is_empty());
    }
}
