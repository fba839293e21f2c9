//! URL settings as shown (keys hidden) and as saved (a hidden value sent back means "unchanged").

use crate::dto::*;
use crate::redact;

/// Every URL-valued field of the settings, paired with the same field of `other` when it has one.
fn url_fields<'a>(
    v: &'a mut SettingsValuesDto,
    other: &'a SettingsValuesDto,
) -> Vec<(&'a mut String, Option<&'a str>)> {
    let mut out: Vec<(&mut String, Option<&str>)> = Vec::new();
    for p in &mut v.protocols {
        let op = other.protocols.iter().find(|o| o.protocol == p.protocol);
        for n in &mut p.nodes {
            let o = op.and_then(|op| op.nodes.iter().find(|o| o.id == n.id));
            out.push((&mut n.endpoint, o.map(|o| o.endpoint.as_str())));
        }
        for u in &mut p.urls {
            let o = op.and_then(|op| op.urls.iter().find(|o| o.key == u.key));
            out.push((&mut u.value, o.map(|o| o.value.as_str())));
        }
    }
    let a = &mut v.alerts;
    let oa = &other.alerts;
    out.push((&mut a.ntfy_url, Some(oa.ntfy_url.as_str())));
    out.push((&mut a.webhook_url, Some(oa.webhook_url.as_str())));
    out.push((&mut a.telegram_api_url, Some(oa.telegram_api_url.as_str())));
    out
}

/// The settings as `GET /settings` shows them: keys embedded in URLs hidden.
pub(super) fn hide(mut v: SettingsValuesDto) -> SettingsValuesDto {
    let none = v.clone();
    for (value, _) in url_fields(&mut v, &none) {
        *value = redact::url(value);
    }
    v
}

/// Puts the real value back where the form returned the hidden one unchanged, so a save of the
/// shown settings never writes `<redacted>` into the file.
pub(super) fn restore(req: &mut SettingsValuesDto, real: &SettingsValuesDto) {
    for (value, old) in url_fields(req, real) {
        if let Some(old) = old {
            if value != old && *value == redact::url(old) {
                old.clone_into(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_hidden_and_restored_on_save() {
        let mut real = super::super::values::values_of(&orcha_core::config::Config::default());
        real.alerts.webhook_url = "https://hooks.example/services/T0123456789ABCDEFGH".into();
        let shown = hide(real.clone());
        assert_eq!(
            shown.alerts.webhook_url,
            "https://hooks.example/services/<redacted>"
        );
        let mut back = shown.clone();
        restore(&mut back, &real);
        assert_eq!(back, real);
        // A new value typed by the operator is kept.
        let mut typed = shown;
        typed.alerts.webhook_url = "https://hooks.example/new".into();
        restore(&mut typed, &real);
        assert_eq!(typed.alerts.webhook_url, "https://hooks.example/new");
    }
}
