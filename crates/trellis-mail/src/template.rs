//! Notification templates: Jinja syntax, rendered against the event's variables. A variable the
//! template names but the event does not have is an error, not an empty string, so a typo is
//! caught when the administrator saves the template (it is rendered against sample variables).

use minijinja::{Environment, UndefinedBehavior};

/// Steps a render may take: a template loops over short lists at most; this stops a runaway
/// loop written by mistake without limiting any real template.
const FUEL: u64 = 100_000;

/// Longest subject kept: mail clients show a line, not a paragraph.
const MAX_SUBJECT_CHARS: usize = 200;

/// A rendered message: a one-line subject and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Why a template does not render, naming the field (`subject` or `body`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct TemplateError {
    pub field: &'static str,
    pub message: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(16);
    env
}

/// Renders both parts of a template with `vars`. Plain text: nothing is HTML-escaped.
pub fn render(subject: &str, body: &str, vars: &serde_json::Value) -> Result<Rendered, TemplateError> {
    let env = environment();
    let vars = minijinja::Value::from(minijinja::value::Serde(vars));
    let one = |field: &'static str, source: &str| {
        env.render_str(source, vars.clone()).map_err(|e| TemplateError { field, message: describe(&e) })
    };
    let subject = one("subject", subject)?;
    let body = one("body", body)?;
    let mut subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    if subject.is_empty() {
        return Err(TemplateError { field: "subject", message: "renders empty".into() });
    }
    if let Some((cut, _)) = subject.char_indices().nth(MAX_SUBJECT_CHARS) {
        subject.truncate(cut);
    }
    Ok(Rendered { subject, body: body.trim_end().to_owned() + "\n" })
}

/// The error with its line, in words an administrator can act on.
fn describe(e: &minijinja::Error) -> String {
    let mut text = e.detail().map_or_else(|| e.kind().to_string(), str::to_owned);
    if e.kind() == minijinja::ErrorKind::UndefinedError {
        text = format!("uses a variable this notification does not have ({text})");
    }
    match e.line() {
        Some(line) => format!("line {line}: {text}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_variables_and_collapses_the_subject_to_one_line() {
        let r = render(
            "[{{ record.ref }}]\n  {{ record.title }}",
            "Hello {{ recipient.name }},\n{% for s in steps %}- {{ s }}\n{% endfor %}",
            &json!({"record": {"ref": "INC-000001", "title": "Mail <down>"}, "recipient": {"name": "Ann"}, "steps": ["a", "b"]}),
        )
        .expect("renders");
        assert_eq!(r.subject, "[INC-000001] Mail <down>");
        assert_eq!(r.body, "Hello Ann,\n- a\n- b\n");
    }

    #[test]
    fn an_unknown_variable_or_bad_syntax_names_the_field() {
        let vars = json!({"record": {"ref": "INC-1"}});
        let e = render("{{ record.reff }}", "x", &vars).expect_err("typo accepted");
        assert_eq!(e.field, "subject");
        assert!(e.message.contains("variable"), "{e}");
        let e = render("ok", "line one\n{% if %}", &vars).expect_err("bad syntax accepted");
        assert_eq!(e.field, "body");
        assert!(e.message.starts_with("line 2"), "{e}");
    }

    #[test]
    fn a_runaway_loop_is_stopped() {
        let e = render(
            "s",
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            &json!({}),
        )
        .expect_err("ran forever");
        assert_eq!(e.field, "body");
    }
}
