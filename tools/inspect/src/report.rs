//! The `key=value` reports rt0's test hosts print on stdout and `rt0-port emulate --report`
//! writes: one fact a line, the key before the first `=`. Other lines are not facts and are
//! passed over; a Windows host's `\r\n` line ends are taken off.

use std::collections::BTreeMap;

/// Every `key=value` line of `text`, in order (a key may come more than once).
pub fn pairs(text: &str) -> Vec<(&str, &str)> {
    text.lines()
        .filter_map(|l| l.trim_end_matches('\r').split_once('='))
        .collect()
}

/// The report as a map; where a key comes more than once the last line wins.
pub fn fields(text: &str) -> BTreeMap<String, String> {
    pairs(text)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The value of the first `key=` line.
pub fn first(text: &str, key: &str) -> Option<String> {
    pairs(text)
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_split_at_the_first_equals_sign() {
        let out = "init=ok\r\nargv[1]=a=b\nnot a fact\nexport=1\nexport=2\n";
        assert_eq!(
            pairs(out),
            [
                ("init", "ok"),
                ("argv[1]", "a=b"),
                ("export", "1"),
                ("export", "2")
            ]
        );
        assert_eq!(fields(out)["export"], "2");
        assert_eq!(first(out, "export").as_deref(), Some("1"));
        assert_eq!(first(out, "argv[1]").as_deref(), Some("a=b"));
        assert_eq!(first(out, "missing"), None);
    }
}
