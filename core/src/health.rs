//! Asking the service whether it is up: an HTTP GET of its health endpoint.

use std::time::Duration;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// True when `url` answers with success, or with 401 (the server is up and wants its password).
pub async fn answers(url: &str) -> bool {
    let Ok(uri) = url.parse::<hyper::Uri>() else {
        return false;
    };
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    match tokio::time::timeout(REQUEST_TIMEOUT, client.get(uri)).await {
        Ok(Ok(response)) => response.status().is_success() || response.status() == 401,
        _ => false,
    }
}
