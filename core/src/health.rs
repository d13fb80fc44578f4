//! Asking the service whether it is up: an HTTP GET of its health endpoint.

use std::time::Duration;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::credentials::Credentials;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// True when `url` answers with success. With `credentials` the request carries them (basic
/// auth) and only a success counts: a 401 then means the server has another password. Without,
/// a 401 also counts (the server is up and wants a password we do not set).
pub async fn answers(url: &str, credentials: Option<&Credentials>) -> bool {
    let Ok(uri) = url.parse::<hyper::Uri>() else {
        return false;
    };
    let mut request = hyper::Request::get(uri);
    if let Some(c) = credentials {
        request = request.header(hyper::header::AUTHORIZATION, c.basic_auth());
    }
    let Ok(request) = request.body(Empty::<Bytes>::new()) else {
        return false;
    };
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    match tokio::time::timeout(REQUEST_TIMEOUT, client.request(request)).await {
        Ok(Ok(response)) => {
            let status = response.status();
            status.is_success() || (credentials.is_none() && status == 401)
        }
        _ => false,
    }
}
