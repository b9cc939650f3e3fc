//! Delivery over SMTP. The transport is configured by URL (`smtp://host:25`,
//! `smtp://user:pass@host:587?tls=required` for STARTTLS, `smtps://host:465`), as lettre reads it.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How long one delivery may take, answers included (lettre's own timeout covers the connection
/// only). Well under the job lease, so a stalled server cannot make the lease pass to another
/// process while this one is still sending.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail configuration: {0}")]
    Config(String),
    #[error("address {0:?} is not a mail address")]
    Address(String),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: no answer within {} s", SEND_TIMEOUT.as_secs())]
    Timeout,
}

impl MailError {
    /// Whether trying again cannot help (a bad address, a 5xx answer): the message is given up
    /// at once rather than retried for an hour.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Address(_) | MailError::Build(_) | MailError::Config(_) => true,
            MailError::Smtp(e) => e.is_permanent(),
            MailError::Timeout => false,
        }
    }
}

/// One message to deliver. `message_id` is stable per outbox entry, so a receiving system can
/// recognise the same message if a delivery has to be repeated.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
}

/// An SMTP connection configuration and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds credentials: only the sender is shown.
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// `url` as above; `from` like `Trellis <servicedesk@example.com>`.
    pub fn new(url: &str, from: &str) -> Result<Mailer, MailError> {
        let from: Mailbox = from.parse().map_err(|_| MailError::Address(from.to_owned()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Mailer { transport, from })
    }

    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let address = mail.to_address.parse().map_err(|_| MailError::Address(mail.to_address.clone()))?;
        let to = Mailbox::new((!mail.to_name.is_empty()).then(|| mail.to_name.clone()), address);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(mail.message_id.clone()))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(sent) => sent.map(drop).map_err(MailError::from),
            Err(_) => Err(MailError::Timeout),
        }
    }
}
