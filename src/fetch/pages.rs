//! Article pages: links from third parties, so stricter than feeds.
//!
//! A separate client whose DNS resolver refuses names that resolve only to
//! loopback, private, link-local or otherwise non-public addresses (checked after
//! resolution, so a public name pointing at 127.0.0.1 is refused too), a redirect
//! policy that applies the same check to literal IP hosts, a per-host concurrency
//! cap, and a size cap on the decompressed page.

use std::net::{IpAddr, SocketAddr};

use super::{FetchError, FetchSettings, HostLimiter, USER_AGENT, describe, header, read_capped};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::CONTENT_TYPE;

/// Whether an address is one a third-party link must not make us contact.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || v6.is_multicast()
        }
    }
}

/// Resolves with the system resolver ([`super::lookup`]), then drops
/// non-public addresses; a name with only non-public addresses is an error
/// naming them.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = super::lookup(&host).await?;
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| !is_private(a.ip()))
                .collect();
            if public.is_empty() {
                let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "refused: {host} resolves to a private or local address ({})",
                    list.join(", ")
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// A fetched article page.
#[derive(Debug)]
pub struct Page {
    /// Raw bytes (decode with `extract::decode_html`).
    pub bytes: Vec<u8>,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// URL after redirects.
    pub final_url: url::Url,
}

/// The client for article pages.
#[derive(Clone)]
pub struct PageFetcher {
    client: reqwest::Client,
    max_bytes: usize,
    allow_private: bool,
    hosts: HostLimiter,
}

fn literal_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

impl PageFetcher {
    /// Builds the page client. `allow_private` lifts the address check (for a
    /// trusted network, or tests on 127.0.0.1).
    pub fn new(
        settings: &FetchSettings,
        per_host: usize,
        allow_private: bool,
    ) -> Result<PageFetcher, FetchError> {
        super::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout);
        if allow_private {
            builder = builder
                .dns_resolver(super::System)
                .redirect(reqwest::redirect::Policy::limited(10));
        } else {
            builder = builder
                .dns_resolver(PublicOnly)
                .redirect(reqwest::redirect::Policy::custom(|attempt| {
                    if attempt.previous().len() >= 10 {
                        attempt.error("more than 10 redirects")
                    } else if literal_ip(attempt.url()).is_some_and(is_private) {
                        attempt.error("refused: redirect to a private or local address")
                    } else {
                        attempt.follow()
                    }
                }));
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(PageFetcher {
            client,
            max_bytes: settings.max_bytes,
            allow_private,
            hosts: HostLimiter::new(per_host),
        })
    }

    /// GETs an article page, at most `per_host` at a time per host.
    pub async fn fetch(&self, url: &url::Url) -> Result<Page, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Transport(format!(
                "refused: {} is not an http(s) URL",
                url
            )));
        }
        if !self.allow_private && literal_ip(url).is_some_and(is_private) {
            return Err(FetchError::Transport(format!(
                "refused: {} is a private or local address",
                url.host_str().unwrap_or_default()
            )));
        }
        let _slot = self.hosts.acquire(url).await;
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| FetchError::Transport(describe(&e, url)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                reason: status.canonical_reason().map(str::to_string),
                retry_after: None,
            });
        }
        let content_type = header(response.headers(), CONTENT_TYPE);
        let final_url = response.url().clone();
        let bytes = read_capped(response, self.max_bytes).await?;
        Ok(Page {
            bytes,
            content_type,
            final_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
