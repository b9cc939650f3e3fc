//! Mail out. Two jobs, both free of the database: rendering the notification templates that
//! administrators edit (minijinja, sandboxed: no file access, bounded work) and delivering a
//! rendered message over SMTP (lettre). What to send, to whom and when is the application's
//! business: it keeps an outbox and its job worker calls [`Mailer::send`], never a request.

mod smtp;
mod template;

pub use smtp::{Mail, MailError, Mailer};
pub use template::{Rendered, TemplateError, render};
