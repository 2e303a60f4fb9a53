//! A small command-line parser: `--name value` options and `--flag` switches, nothing else.

use std::collections::HashMap;

/// Parsed arguments of one command.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    /// Parses `args` against the known `options` (take a value) and `flags` (don't).
    pub fn parse(args: &[String], options: &[&str], flags: &[&str]) -> Result<Args, String> {
        let mut out = Args::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (a.as_str(), None),
            };
            if flags.contains(&name) && inline.is_none() {
                out.flags.push(name.to_string());
            } else if options.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .ok_or_else(|| format!("{name} needs a value"))?
                        .clone(),
                };
                if out.values.insert(name.to_string(), value).is_some() {
                    return Err(format!("{name} given twice"));
                }
            } else {
                return Err(format!("unknown argument {a:?}"));
            }
        }
        Ok(out)
    }

    /// The value of an option.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of a required option.
    pub fn require(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("{name} is required"))
    }

    /// Whether a flag was given.
    pub fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// A parsed numeric option with a default.
    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{name} = {v:?} is not a valid number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn options_and_flags() {
        let a = Args::parse(
            &s(&["--out", "m.bin", "--json", "--seed=3"]),
            &["--out", "--seed"],
            &["--json"],
        )
        .unwrap();
        assert_eq!(a.get("--out"), Some("m.bin"));
        assert!(a.has("--json"));
        assert_eq!(a.number("--seed", 0u64).unwrap(), 3);
        assert!(Args::parse(&s(&["--nope"]), &[], &[]).is_err());
        assert!(Args::parse(&s(&["--out"]), &["--out"], &[]).is_err());
        assert!(Args::parse(&s(&["--out", "a", "--out", "b"]), &["--out"], &[]).is_err());
    }
}
