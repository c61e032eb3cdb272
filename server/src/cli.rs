//! Command-line arguments, checked before anything starts.

pub const USAGE: &str = "Usage: confab [serve]

Commands:
  serve    run the Confab server (the default)
  help     show this help

Configuration comes from environment variables; see the README:
  CONFAB_DATABASE_URL  (default sqlite://data/confab.db)
  CONFAB_ADDR          (default 127.0.0.1:3000)
  CONFAB_PUBLIC_URL    (default http://<CONFAB_ADDR>)
  CONFAB_DEMO          seed demo data into an empty database (default true)";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Help,
}

impl Command {
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let args: Vec<String> = args.into_iter().collect();
        match args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [] | ["serve"] => Ok(Command::Serve),
            ["help"] | ["--help"] | ["-h"] => Ok(Command::Help),
            ["serve" | "help" | "--help" | "-h", extra, ..] => {
                Err(format!("confab: unexpected argument '{extra}'"))
            }
            [other, ..] => Err(format!("confab: unknown command '{other}'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Command::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn commands_parse() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&["serve"]), Ok(Command::Serve));
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert!(parse(&["serve", "--port"]).unwrap_err().contains("--port"));
        assert!(parse(&["frobnicate"]).is_err());
    }
}
