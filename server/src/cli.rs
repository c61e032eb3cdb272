//! Command-line arguments, checked before anything starts.

pub const USAGE: &str = "Usage: confab [serve]
       confab tokens create --email EMAIL [--name NAME]

Commands:
  serve          run the Confab server (the default)
  tokens create  create an API token for an employee and print it (shown once)
  help           show this help

Configuration comes from environment variables; see the README:
  CONFAB_DATABASE_URL  (default sqlite://data/confab.db)
  CONFAB_ADDR          (default 127.0.0.1:3000)
  CONFAB_PUBLIC_URL    (default http://<CONFAB_ADDR>)
  CONFAB_DEMO          seed demo data into an empty database (default true)";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Help,
    CreateToken { email: String, name: String },
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
            ["tokens", "create", rest @ ..] => Self::parse_create_token(rest),
            ["tokens", ..] => Err("confab: use 'confab tokens create --email EMAIL'".into()),
            ["serve" | "help" | "--help" | "-h", extra, ..] => {
                Err(format!("confab: unexpected argument '{extra}'"))
            }
            [other, ..] => Err(format!("confab: unknown command '{other}'")),
        }
    }
}

impl Command {
    fn parse_create_token(args: &[&str]) -> Result<Self, String> {
        let mut email = None;
        let mut name = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let slot = match *arg {
                "--email" => &mut email,
                "--name" => &mut name,
                other => return Err(format!("confab: unexpected argument '{other}'")),
            };
            let value = rest
                .next()
                .ok_or_else(|| format!("confab: {arg} needs a value"))?;
            *slot = Some(value.to_string());
        }
        let email = email.ok_or("confab: tokens create needs --email EMAIL")?;
        if !email.contains('@') {
            return Err(format!("confab: '{email}' is not an email address"));
        }
        Ok(Command::CreateToken {
            email,
            name: name.unwrap_or_else(|| "Command line".into()),
        })
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
        assert_eq!(
            parse(&["tokens", "create", "--email", "a@b.c"]),
            Ok(Command::CreateToken {
                email: "a@b.c".into(),
                name: "Command line".into()
            })
        );
        assert_eq!(
            parse(&["tokens", "create", "--name", "Zapier", "--email", "a@b.c"]),
            Ok(Command::CreateToken {
                email: "a@b.c".into(),
                name: "Zapier".into()
            })
        );
        assert!(parse(&["tokens", "create"])
            .unwrap_err()
            .contains("--email"));
        assert!(parse(&["tokens", "create", "--email"])
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse(&["tokens", "create", "--email", "nope"]).is_err());
        assert!(parse(&["tokens", "create", "--email", "a@b.c", "--admin"]).is_err());
    }
}
