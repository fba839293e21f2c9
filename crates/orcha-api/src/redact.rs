//! Hiding credentials that live inside URLs (RPC keys, subgraph API keys, webhook tokens).
//!
//! Many providers put the key in the URL itself (`…/v3/<key>`, `…/api/<key>/subgraphs/…`,
//! `…/webhooks/<id>/<token>`, `?api_key=…`), so a URL shown in the settings or kept in the audit
//! log would leak it. What is hidden: user info, key-like query values, and path segments that
//! look like tokens (long, mixed letters and digits). Ordinary path words stay readable.

/// The marker that replaces a hidden part.
pub const REDACTED: &str = "<redacted>";

const KEY_PARAMS: [&str; 10] = [
    "key",
    "apikey",
    "api_key",
    "token",
    "access_token",
    "secret",
    "auth",
    "password",
    "sig",
    "signature",
];

/// A path segment that looks like a credential rather than a word or a number.
fn looks_like_token(seg: &str) -> bool {
    seg.len() >= 16
        && seg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && seg.chars().any(|c| c.is_ascii_digit())
        && seg.chars().any(|c| c.is_ascii_alphabetic())
}

/// `url` with every embedded credential replaced by `<redacted>`; text that is not an absolute
/// URL is returned unchanged.
pub fn url(raw: &str) -> String {
    let Ok(mut u) = url::Url::parse(raw) else {
        return raw.to_owned();
    };
    if u.cannot_be_a_base() {
        return raw.to_owned();
    }
    let mut changed = false;
    if !u.username().is_empty() || u.password().is_some() {
        // Setting user info cannot fail on a URL that has a host and already carried some.
        let _ = u.set_username(REDACTED);
        let _ = u.set_password(None);
        changed = true;
    }
    let segments: Vec<String> = u
        .path_segments()
        .map(|s| s.map(str::to_owned).collect())
        .unwrap_or_default();
    if segments.iter().any(|s| looks_like_token(s)) {
        let path: Vec<&str> = segments
            .iter()
            .map(|s| if looks_like_token(s) { REDACTED } else { s })
            .collect();
        u.set_path(&path.join("/"));
        changed = true;
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let hide =
                    KEY_PARAMS.contains(&k.to_ascii_lowercase().as_str()) || looks_like_token(&v);
                (
                    k.into_owned(),
                    if hide {
                        REDACTED.to_owned()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        changed = true;
    }
    if !changed {
        return raw.to_owned();
    }
    // `<` and `>` are percent-encoded by the URL writer; the marker is for people, show it plain.
    u.to_string().replace("%3Credacted%3E", REDACTED)
}

/// `text` with every URL in it redacted (for free-form values such as audit rows).
pub fn text(raw: &str) -> String {
    if !raw.contains("://") {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains("://") {
            out.push_str(&url(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in raw.chars() {
        if c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']' | '{' | '}') {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_path_query_and_userinfo_keys() {
        assert_eq!(
            url("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"),
            "https://mainnet.infura.io/v3/<redacted>"
        );
        assert_eq!(
            url("https://gateway.thegraph.com/api/a1b2c3d4e5f6a7b8c9d0/subgraphs/id/x"),
            "https://gateway.thegraph.com/api/<redacted>/subgraphs/id/x"
        );
        assert_eq!(
            url("https://discord.com/api/webhooks/123456789012345678/AbCdEf123456_ghIJkl-mn"),
            "https://discord.com/api/webhooks/123456789012345678/<redacted>"
        );
        assert_eq!(
            url("https://rpc.example/?apiKey=abc&chain=1"),
            "https://rpc.example/?apiKey=<redacted>&chain=1"
        );
        assert_eq!(
            url("https://user:pw@ntfy.example/topic"),
            "https://<redacted>@ntfy.example/topic"
        );
    }

    #[test]
    fn leaves_plain_urls_and_text_alone() {
        for u in [
            "http://127.0.0.1:14002",
            "https://polygon-rpc.com",
            "https://ntfy.sh/orcha-alerts",
            "not a url",
        ] {
            assert_eq!(url(u), u);
        }
        assert_eq!(
            text("was https://x.io/v2/abcdefgh12345678ijkl now"),
            "was https://x.io/v2/<redacted> now"
        );
    }
}
