//! Shared state of the HTTP layer.

use metrics_exporter_prometheus::PrometheusHandle;
use trellis_app::App;

#[derive(Clone, Debug)]
pub struct AppState {
    pub app: App,
    pub metrics: Option<PrometheusHandle>,
    pub web: WebSettings,
}

#[derive(Clone, Debug)]
pub struct WebSettings {
    /// Mark the session cookie `Secure` (off only for plain-HTTP deployments on a LAN).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings { secure_cookies: true, max_body_bytes: 12 * 1024 * 1024 }
    }
}
