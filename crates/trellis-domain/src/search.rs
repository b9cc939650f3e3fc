//! Full-text search queries: what a person types, turned into the terms both databases match
//! (every word, as a prefix), and the highlighted snippet split back into plain and matched text.

/// At most this many words of a query are searched for.
pub const TERMS_MAX: usize = 8;
/// A word longer than this is cut (nobody types longer words; it bounds the work).
pub const TERM_CHARS_MAX: usize = 40;

/// The words of a query, lower-cased: runs of letters and digits. Everything else (quotes,
/// operators, punctuation) separates words, so no query syntax reaches the database.
pub fn terms(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        // Lower-casing may add marks (İ → i̇): only letters and digits are kept.
        let w: String =
            word.to_lowercase().chars().filter(|c| c.is_alphanumeric()).take(TERM_CHARS_MAX).collect();
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
        if out.len() == TERMS_MAX {
            break;
        }
    }
    out
}

/// The words a document is filed under, besides its text: its kind, its customer, and whether
/// every customer may read it. A search narrows by them inside the text index (the index
/// intersects them with the words searched for), so a customer's search never walks other
/// customers' matches.
pub fn tags(kind: &str, customer: Option<uuid::Uuid>, public: bool) -> String {
    let mut t = vec![kind_tag(kind)];
    if let Some(c) = customer {
        t.push(customer_tag(c));
    }
    if public {
        t.push(PUBLIC_TAG.to_owned());
    }
    t.join(" ")
}

pub const PUBLIC_TAG: &str = "tagpublic";

pub fn kind_tag(kind: &str) -> String {
    format!("tagkind{}", kind.replace('_', ""))
}

pub fn customer_tag(c: uuid::Uuid) -> String {
    format!("tagcust{}", c.simple())
}

/// What a search is narrowed to: any of `kinds`, and (for a customer user) any of `scope`.
#[derive(Debug, Clone, Default)]
pub struct Narrow {
    pub kinds: Vec<String>,
    pub scope: Vec<String>,
}

/// The SQLite FTS5 query: every term as a quoted prefix of a word of the title or the text, and
/// the tags it is narrowed to (`{title body} : ("mail"* "relay"*) AND tags : (...)`).
pub fn fts5_query(terms: &[String], narrow: &Narrow) -> String {
    let words = terms.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(" ");
    let mut q = format!("{{title body}} : ({words})");
    for group in [&narrow.kinds, &narrow.scope] {
        if !group.is_empty() {
            q.push_str(&format!(" AND tags : ({})", group.join(" OR ")));
        }
    }
    q
}

/// The PostgreSQL tsquery: every term as a prefix in the title (weight A) or the text (B), and
/// the tags (weight D) it is narrowed to (`mail:*AB & relay:*AB & (...)`).
pub fn tsquery(terms: &[String], narrow: &Narrow) -> String {
    let mut parts: Vec<String> = terms.iter().map(|t| format!("{t}:*AB")).collect();
    for group in [&narrow.kinds, &narrow.scope] {
        if !group.is_empty() {
            parts.push(format!(
                "({})",
                group.iter().map(|g| format!("{g}:D")).collect::<Vec<_>>().join(" | ")
            ));
        }
    }
    parts.join(" & ")
}

/// Words of context shown around the first match.
const SNIPPET_WORDS: usize = 24;

/// The passage of `text` around its first word beginning with a term, with the matching words
/// marked; the start of the text when no word matches (the title did).
pub fn snippet(text: &str, terms: &[String]) -> Vec<Segment> {
    // Words and the separators after them, in order.
    let mut pieces: Vec<(&str, &str)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(|c: char| c.is_alphanumeric()).unwrap_or(rest.len());
        if start > 0 && pieces.is_empty() {
            pieces.push(("", &rest[..start]));
        } else if start > 0 {
            let last = pieces.len() - 1;
            pieces[last].1 = &rest[..start];
        }
        rest = &rest[start..];
        let end = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        if end > 0 {
            pieces.push((&rest[..end], ""));
        }
        rest = &rest[end..];
    }
    let matches = |w: &str| {
        let lower = w.to_lowercase();
        !w.is_empty() && terms.iter().any(|t| lower.starts_with(t.as_str()))
    };
    let first = pieces.iter().position(|(w, _)| matches(w)).unwrap_or(0);
    let from = first.saturating_sub(SNIPPET_WORDS / 4);
    let to = (from + SNIPPET_WORDS).min(pieces.len());
    let mut out: Vec<Segment> = Vec::new();
    let mut push = |text: &str, matched: bool| match out.last_mut() {
        Some(last) if last.matched == matched => last.text.push_str(text),
        _ if text.is_empty() => {}
        _ => out.push(Segment { text: text.to_owned(), matched }),
    };
    if from > 0 {
        push("… ", false);
    }
    for (i, (word, sep)) in pieces[from..to].iter().enumerate() {
        push(word, matches(word));
        let sep = if i + 1 == to - from { sep.trim_end() } else { sep };
        push(&sep.replace(['\n', '\r', '\t'], " "), false);
    }
    if to < pieces.len() {
        push(" …", false);
    }
    out
}

/// Text as it is indexed: control characters other than line breaks become spaces.
pub fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() && c != '\n' { ' ' } else { c }).collect()
}

/// One piece of a snippet: plain text, or text that matched the query.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub text: String,
    #[serde(rename = "match")]
    pub matched: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn query_syntax_never_reaches_the_database() {
        let t = terms(r#"Mail "relay" OR NEAR(x) -tls* mail Zürich"#);
        assert_eq!(t, ["mail", "relay", "or", "near", "x", "tls", "zürich"]);
        let narrow = Narrow { kinds: vec![kind_tag("incident")], scope: vec![PUBLIC_TAG.into()] };
        assert_eq!(
            fts5_query(&t[..2], &narrow),
            r#"{title body} : ("mail"* "relay"*) AND tags : (tagkindincident) AND tags : (tagpublic)"#
        );
        assert_eq!(tsquery(&t[..2], &Narrow::default()), "mail:*AB & relay:*AB");
        assert_eq!(tsquery(&t[..1], &narrow), "mail:*AB & (tagkindincident:D) & (tagpublic:D)");
        assert!(terms("  -- ;; ").is_empty());
    }

    #[test]
    fn a_snippet_shows_the_first_match_in_context() {
        let t = terms("relay");
        let text = "One two three four five six seven eight nine ten: the Relays dropped TLS.\nThen more.";
        let s = snippet(text, &t);
        let shown: String = s.iter().map(|x| x.text.as_str()).collect();
        assert!(shown.starts_with("… ") && shown.contains("the Relays dropped TLS. Then more."), "{shown}");
        assert_eq!(s.iter().filter(|x| x.matched).map(|x| x.text.as_str()).collect::<Vec<_>>(), ["Relays"]);
        let none = snippet("No match here", &t);
        assert_eq!(none, [Segment { text: "No match here".into(), matched: false }]);
        assert!(snippet("", &t).is_empty());
    }

    proptest! {
        #[test]
        fn terms_are_bounded_plain_words(q in ".{0,400}") {
            let t = terms(&q);
            prop_assert!(t.len() <= TERMS_MAX);
            for w in &t {
                prop_assert!(!w.is_empty() && w.chars().count() <= TERM_CHARS_MAX);
                prop_assert!(w.chars().all(char::is_alphanumeric));
            }
        }

        #[test]
        fn a_snippet_is_a_passage_of_the_text(text in ".{0,300}", q in "[a-z]{1,4}") {
            let shown: String = snippet(&text, &terms(&q)).iter().map(|x| x.text.as_str()).collect();
            let inner = shown.trim_start_matches("… ").trim_end_matches(" …");
            let flat = text.replace(['\n', '\r', '\t'], " ");
            prop_assert!(flat.contains(inner), "{inner:?} not in {flat:?}");
        }
    }
}
