//! Attachment rules: which content types are accepted, and that the bytes match the claim.

/// Content types accepted for attachments. Executables and HTML (which a browser would render
/// in our origin) are refused.
pub const ALLOWED_CONTENT_TYPES: &[&str] = &[
    "text/plain",
    "text/csv",
    "application/pdf",
    "application/json",
    "application/zip",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "message/rfc822",
];

/// Checks the declared content type is allowed and the first bytes agree with it (so a renamed
/// executable is not stored as a PDF). Returns a message for the user when refused.
pub fn check_content(content_type: &str, bytes: &[u8]) -> Result<(), String> {
    let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !ALLOWED_CONTENT_TYPES.contains(&ct.as_str()) {
        return Err(format!("content type {ct:?} is not accepted"));
    }
    let magic: Option<&[u8]> = match ct.as_str() {
        "application/pdf" => Some(b"%PDF-"),
        "image/png" => Some(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => Some(b"\xff\xd8\xff"),
        "image/gif" => Some(b"GIF8"),
        "application/zip"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(b"PK\x03\x04"),
        _ => None,
    };
    if let Some(m) = magic
        && !bytes.starts_with(m)
    {
        return Err(format!("the file's content is not {ct}"));
    }
    if (ct.starts_with("text/") || ct == "application/json") && std::str::from_utf8(bytes).is_err() {
        return Err(format!("the file's content is not {ct} (not UTF-8 text)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_must_match_its_type() {
        assert!(check_content("application/pdf", b"%PDF-1.7 ...").is_ok());
        assert!(check_content("application/pdf", b"MZ\x90\x00").is_err());
        assert!(check_content("text/plain; charset=utf-8", b"hello").is_ok());
        assert!(check_content("text/plain", b"\xff\xfe\xfd").is_err());
        assert!(check_content("text/html", b"<script>").is_err());
        assert!(check_content("application/x-msdownload", b"MZ").is_err());
    }
}
