//! Command-line arguments, checked before anything starts.

pub const USAGE: &str = "Usage: confab [serve]
       confab owner create --email EMAIL [--name NAME]
       confab tokens create --email EMAIL [--name NAME] [--scope SCOPE ...] [--expires-days N]
       confab channels add KIND --name NAME --set KEY=VALUE ... [--no-human-agent]
       confab channels list
       confab backup FILE
       confab migrate
       confab export FILE
       confab import FILE

Commands:
  serve          run the Confab server (the default)
  owner create   create an owner (a first one on a new database) and print a generated
                 password (shown once; change it in the profile)
  tokens create  create an API token for an employee and print it (shown once). SCOPE:
                 phone-card:read (the default), conversations:read, conversations:write;
                 repeat --scope for several. --expires-days: refused after N days
  channels add   connect a channel; prints its id and webhook URL. KIND and keys:
                   messenger   page_id app_secret access_token verify_token
                   instagram   account_id app_secret access_token verify_token
                   whatsapp    phone_number_id app_secret access_token verify_token
                   twilio_sms  account_sid auth_token phone_number
  channels list  list channels with their status and webhook URLs
  backup FILE    copy the running SQLite database, consistently, to a new FILE
  migrate        bring the database's schema up to date (serve does it too)
  export FILE    write every row of the database to a new FILE (JSON lines)
  import FILE    read an export into a new, empty database (e.g. SQLite -> PostgreSQL)
  help           show this help

Configuration comes from environment variables; see the README:
  CONFAB_DATABASE_URL  (default sqlite://data/confab.db)
  CONFAB_ADDR          (default 127.0.0.1:3000)
  CONFAB_PUBLIC_URL    (default http://<CONFAB_ADDR>)
  CONFAB_DEMO          true: seed demo data into an empty database (default false;
                       refused on a public address unless 'force')
  CONFAB_SECRET_KEY    64 hex digits sealing channel credentials (default: a key file
                       generated in the data folder)";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Help,
    CreateOwner {
        email: String,
        name: String,
    },
    CreateToken {
        email: String,
        name: String,
        scopes: Vec<app::tokens::TokenScope>,
        expires_days: Option<i64>,
    },
    AddChannel {
        kind: app::channels::ChannelKind,
        name: String,
        settings: Vec<(String, String)>,
        human_agent: bool,
    },
    ListChannels,
    Backup {
        file: std::path::PathBuf,
    },
    Migrate,
    Export {
        file: std::path::PathBuf,
    },
    Import {
        file: std::path::PathBuf,
    },
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
            ["owner", "create", rest @ ..] => Self::parse_create_owner(rest),
            ["owner", ..] => {
                Err("confab: use 'confab owner create --email EMAIL [--name NAME]'".into())
            }
            ["tokens", "create", rest @ ..] => Self::parse_create_token(rest),
            ["tokens", ..] => Err("confab: use 'confab tokens create --email EMAIL'".into()),
            ["channels", "add", rest @ ..] => Self::parse_add_channel(rest),
            ["channels", "list"] => Ok(Command::ListChannels),
            ["backup", file] if !file.starts_with('-') => Ok(Command::Backup {
                file: std::path::PathBuf::from(file),
            }),
            ["backup", ..] => Err("confab: use 'confab backup FILE' (a new file)".into()),
            ["migrate"] => Ok(Command::Migrate),
            ["export", file] if !file.starts_with('-') => Ok(Command::Export {
                file: std::path::PathBuf::from(file),
            }),
            ["export", ..] => Err("confab: use 'confab export FILE' (a new file)".into()),
            ["import", file] if !file.starts_with('-') => Ok(Command::Import {
                file: std::path::PathBuf::from(file),
            }),
            ["import", ..] => Err("confab: use 'confab import FILE' (an export)".into()),
            ["channels", ..] => Err(
                "confab: use 'confab channels add KIND --name NAME --set KEY=VALUE ...' or 'confab channels list'"
                    .into(),
            ),
            ["serve" | "help" | "--help" | "-h", extra, ..] => {
                Err(format!("confab: unexpected argument '{extra}'"))
            }
            [other, ..] => Err(format!("confab: unknown command '{other}'")),
        }
    }
}

impl Command {
    fn parse_create_owner(args: &[&str]) -> Result<Self, String> {
        let (mut email, mut name) = (None, None);
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
        let email = email.ok_or("confab: owner create needs --email EMAIL")?;
        let email = app::employees::check_email(app::i18n::Locale::en, &email)
            .map_err(|e| format!("confab: '{email}': {e}"))?;
        let name = app::employees::check_name(
            app::i18n::Locale::en,
            "name",
            name.as_deref().unwrap_or("Owner"),
        )
        .map_err(|e| format!("confab: --name: {e}"))?;
        Ok(Command::CreateOwner { email, name })
    }

    fn parse_add_channel(args: &[&str]) -> Result<Self, String> {
        use app::channels::ChannelKind;
        let (kind, rest) = args.split_first().ok_or(
            "confab: channels add needs a KIND (messenger, instagram, whatsapp, twilio_sms)",
        )?;
        let kind = ChannelKind::parse(kind)
            .filter(|k| *k != ChannelKind::Sandbox)
            .ok_or_else(|| {
                format!("confab: unknown channel kind '{kind}'; use messenger, instagram, whatsapp or twilio_sms")
            })?;
        let mut name = None;
        let mut settings = Vec::new();
        let mut human_agent = true;
        let mut rest = rest.iter();
        while let Some(arg) = rest.next() {
            match *arg {
                "--no-human-agent" => human_agent = false,
                "--name" | "--set" => {
                    let value = rest
                        .next()
                        .ok_or_else(|| format!("confab: {arg} needs a value"))?;
                    if *arg == "--name" {
                        name = Some(value.trim().to_owned());
                    } else {
                        let (key, value) = value.split_once('=').ok_or_else(|| {
                            format!("confab: --set takes KEY=VALUE, not '{value}'")
                        })?;
                        settings.push((key.to_owned(), value.to_owned()));
                    }
                }
                other => return Err(format!("confab: unexpected argument '{other}'")),
            }
        }
        let name = name
            .filter(|n| !n.is_empty())
            .ok_or("confab: channels add needs --name NAME (the page, account or number as employees know it)")?;
        // The same checks as the settings page, so the command line refuses what it refuses.
        app::channels::credentials::Credentials::parse(kind, &settings)
            .map_err(|e| format!("confab: {e}"))?;
        Ok(Command::AddChannel {
            kind,
            name,
            settings,
            human_agent,
        })
    }

    fn parse_create_token(args: &[&str]) -> Result<Self, String> {
        use app::tokens::{TokenScope, MAX_LIFETIME_DAYS};
        let mut email = None;
        let mut name = None;
        let mut scopes = Vec::new();
        let mut expires_days = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if !matches!(*arg, "--email" | "--name" | "--scope" | "--expires-days") {
                return Err(format!("confab: unexpected argument '{arg}'"));
            }
            let value = rest
                .next()
                .ok_or_else(|| format!("confab: {arg} needs a value"))?;
            match *arg {
                "--email" => email = Some(value.to_string()),
                "--name" => name = Some(value.to_string()),
                "--scope" => scopes.push(TokenScope::parse(value).ok_or_else(|| {
                    format!(
                        "confab: '{value}' is not a scope; use {}",
                        TokenScope::ALL.map(TokenScope::as_str).join(", ")
                    )
                })?),
                _ => {
                    let days = value
                        .parse::<i64>()
                        .ok()
                        .filter(|days| (1..=MAX_LIFETIME_DAYS).contains(days))
                        .ok_or_else(|| {
                            format!(
                                "confab: --expires-days takes a number of days from 1 to {MAX_LIFETIME_DAYS}"
                            )
                        })?;
                    expires_days = Some(days);
                }
            }
        }
        let email = email.ok_or("confab: tokens create needs --email EMAIL")?;
        if !email.contains('@') {
            return Err(format!("confab: '{email}' is not an email address"));
        }
        Ok(Command::CreateToken {
            email,
            name: name.unwrap_or_else(|| "Command line".into()),
            scopes: app::tokens::check_scopes(&scopes),
            expires_days,
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
                name: "Command line".into(),
                scopes: vec![app::tokens::TokenScope::PhoneCardRead],
                expires_days: None,
            })
        );
        assert_eq!(
            parse(&[
                "tokens",
                "create",
                "--name",
                "Zapier",
                "--email",
                "a@b.c",
                "--scope",
                "conversations:write",
                "--scope",
                "conversations:read",
                "--expires-days",
                "30"
            ]),
            Ok(Command::CreateToken {
                email: "a@b.c".into(),
                name: "Zapier".into(),
                scopes: vec![
                    app::tokens::TokenScope::ConversationsRead,
                    app::tokens::TokenScope::ConversationsWrite
                ],
                expires_days: Some(30),
            })
        );
        assert!(
            parse(&["tokens", "create", "--email", "a@b.c", "--scope", "admin"])
                .unwrap_err()
                .contains("phone-card:read")
        );
        for days in ["0", "-1", "x", "100000"] {
            assert!(parse(&[
                "tokens",
                "create",
                "--email",
                "a@b.c",
                "--expires-days",
                days
            ])
            .unwrap_err()
            .contains("--expires-days"));
        }
        assert!(parse(&["tokens", "create"])
            .unwrap_err()
            .contains("--email"));
        assert!(parse(&["tokens", "create", "--email"])
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse(&["tokens", "create", "--email", "nope"]).is_err());
        assert!(parse(&["tokens", "create", "--email", "a@b.c", "--admin"]).is_err());
    }

    #[test]
    fn owner_create_parses_and_checks_the_email() {
        assert_eq!(
            parse(&["owner", "create", "--email", " Ana@Shop.com "]),
            Ok(Command::CreateOwner {
                email: "ana@shop.com".into(),
                name: "Owner".into()
            })
        );
        assert_eq!(
            parse(&[
                "owner",
                "create",
                "--name",
                "Ana Lima",
                "--email",
                "ana@shop.com"
            ]),
            Ok(Command::CreateOwner {
                email: "ana@shop.com".into(),
                name: "Ana Lima".into()
            })
        );
        assert!(parse(&["owner", "create"]).unwrap_err().contains("--email"));
        assert!(parse(&["owner", "create", "--email", "nope"])
            .unwrap_err()
            .contains("valid email"));
        assert!(parse(&["owner", "create", "--email", "a@b.co", "--admin"]).is_err());
        assert!(parse(&["owner"]).unwrap_err().contains("owner create"));
    }

    #[test]
    fn channel_commands_parse_and_check_their_keys() {
        let twilio = [
            "channels",
            "add",
            "twilio_sms",
            "--name",
            "Shop SMS",
            "--set",
            "account_sid=AC1",
            "--set",
            "auth_token=tok",
            "--set",
            "phone_number=+15558675310",
        ];
        match parse(&twilio).unwrap() {
            Command::AddChannel {
                kind,
                name,
                settings,
                human_agent,
            } => {
                assert_eq!(kind, app::channels::ChannelKind::TwilioSms);
                assert_eq!(name, "Shop SMS");
                assert_eq!(settings.len(), 3);
                assert!(human_agent);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse(&["channels", "list"]), Ok(Command::ListChannels));
        assert_eq!(
            parse(&["backup", "/tmp/b.db"]),
            Ok(Command::Backup {
                file: "/tmp/b.db".into()
            })
        );
        assert!(parse(&["backup"]).is_err());
        assert_eq!(parse(&["migrate"]), Ok(Command::Migrate));
        assert!(parse(&["migrate", "now"]).is_err());
        assert_eq!(
            parse(&["export", "out.jsonl"]),
            Ok(Command::Export {
                file: "out.jsonl".into()
            })
        );
        assert!(parse(&["export"]).is_err());
        assert!(parse(&["export", "--all"]).is_err());
        assert_eq!(
            parse(&["import", "out.jsonl"]),
            Ok(Command::Import {
                file: "out.jsonl".into()
            })
        );
        assert!(parse(&["import", "a", "b"]).is_err());
        assert!(parse(&["backup", "a", "b"]).is_err());
        assert!(parse(&["channels", "add", "telegram", "--name", "x"])
            .unwrap_err()
            .contains("unknown channel kind"));
        assert!(
            parse(&["channels", "add", "twilio_sms", "--set", "account_sid=AC1"])
                .unwrap_err()
                .contains("--name")
        );
        assert!(parse(&[
            "channels",
            "add",
            "twilio_sms",
            "--name",
            "x",
            "--set",
            "account_sid"
        ])
        .unwrap_err()
        .contains("KEY=VALUE"));
        assert!(parse(&[
            "channels",
            "add",
            "messenger",
            "--name",
            "x",
            "--set",
            "page_id=1"
        ])
        .unwrap_err()
        .contains("app_secret"));
    }
}
