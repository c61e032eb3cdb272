//! Clients from a CSV file (a spreadsheet or another CRM's export): reading the file (UTF-8
//! or Windows-1252, `,` `;` tab or `|` between cells), guessing what each column holds from
//! its header (English and Portuguese), checking each row (a name; every phone a number, in
//! E.164 with the business's country; a valid email), and planning the import so that rows
//! with the phone or email of a client already there (or of an earlier row) update that
//! client instead of making a second one. Pure: the SQL is in `import_store`.
//!
//! Also the export of the Clients list as CSV, with cells that a spreadsheet would run as a
//! formula (`=`, `+`, `-`, `@`, tab, carriage return first) quoted off with a `'`.

use crate::error::AppError;
use crate::i18n::Locale;
#[cfg(feature = "ssr")]
use crate::phone::Country;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The largest file taken (the browser says so before sending it).
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;
/// The most data rows in one file.
pub const MAX_IMPORT_ROWS: usize = 100_000;
/// The most columns in one file.
pub const MAX_COLUMNS: usize = 100;
/// Data rows shown in the preview.
pub const PREVIEW_ROWS: usize = 5;
/// The most phone numbers one row may bring.
pub const MAX_PHONES_PER_ROW: usize = 10;
/// The longest notes or address taken, in characters.
pub const MAX_TEXT_CHARS: usize = 5_000;

/// What a phone number is, as the client's phones are labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneLabel {
    Mobile,
    Home,
    Work,
    Other,
}

impl PhoneLabel {
    pub const ALL: [PhoneLabel; 4] = [
        PhoneLabel::Mobile,
        PhoneLabel::Home,
        PhoneLabel::Work,
        PhoneLabel::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PhoneLabel::Mobile => "mobile",
            PhoneLabel::Home => "home",
            PhoneLabel::Work => "work",
            PhoneLabel::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// What one column of the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Ignore,
    /// Several name columns (first name, last name) are joined with a space, in order.
    Name,
    /// One or more numbers (separated by `/`, `,`, `;` or `|`).
    Phone(PhoneLabel),
    Email,
    Notes,
    Address,
}

impl Column {
    /// As written in a URL: `name`, `phone:mobile`, `ignore`…
    pub fn as_code(self) -> String {
        match self {
            Column::Ignore => "ignore".into(),
            Column::Name => "name".into(),
            Column::Phone(label) => format!("phone:{}", label.as_str()),
            Column::Email => "email".into(),
            Column::Notes => "notes".into(),
            Column::Address => "address".into(),
        }
    }

    pub fn parse_code(code: &str) -> Option<Self> {
        Some(match code.trim() {
            "ignore" | "" => Column::Ignore,
            "name" => Column::Name,
            "email" => Column::Email,
            "notes" => Column::Notes,
            "address" => Column::Address,
            other => Column::Phone(PhoneLabel::parse(other.strip_prefix("phone:")?)?),
        })
    }
}

/// A header reduced for matching: lower case, accents off, only letters and digits.
fn fold(header: &str) -> String {
    header
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// What a column probably holds, from its header, in English or Portuguese.
pub fn guess_column(header: &str) -> Column {
    let h = fold(header);
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if h.is_empty() {
        return Column::Ignore;
    }
    if has(&["email", "mail"]) {
        return Column::Email;
    }
    if has(&[
        "phone", "telefone", "fone", "celular", "mobile", "cell", "whatsapp", "whats", "tel",
    ]) || h == "cel"
        || h == "zap"
    {
        let label = if has(&["celular", "mobile", "cell", "whats"]) || h == "cel" || h == "zap" {
            PhoneLabel::Mobile
        } else if has(&["home", "residencial", "casa", "residence"]) {
            PhoneLabel::Home
        } else if has(&[
            "work",
            "comercial",
            "trabalho",
            "business",
            "office",
            "escritorio",
        ]) {
            PhoneLabel::Work
        } else {
            PhoneLabel::Other
        };
        return Column::Phone(label);
    }
    if has(&[
        "note",
        "observ",
        "obs",
        "comment",
        "comentario",
        "anotac",
        "descri",
    ]) {
        return Column::Notes;
    }
    if has(&["address", "endereco", "logradouro", "rua", "street"]) {
        return Column::Address;
    }
    if has(&[
        "name",
        "nome",
        "cliente",
        "client",
        "customer",
        "contato",
        "contact",
        "razaosocial",
        "sobrenome",
        "surname",
    ]) {
        return Column::Name;
    }
    Column::Ignore
}

/// The guesses for a whole header.
pub fn guess_columns(header: &[String]) -> Vec<Column> {
    header.iter().map(|h| guess_column(h)).collect()
}

/// The file's text: UTF-8 (its byte-order mark dropped), else Windows-1252 (what Excel
/// saves "CSV" as on a Portuguese or English Windows).
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    }
}

fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        b => b as char,
    }
}

/// The cell separator: of `,` `;` tab `|`, the one most frequent in the first line outside
/// quotes (`,` when none is).
pub fn detect_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for c in first.bytes() {
        if c == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(entry) = counts.iter_mut().find(|(d, _)| *d == c) {
                entry.1 += 1;
            }
        }
    }
    counts
        .iter()
        .copied()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .map(|(d, _)| d)
        .unwrap_or(b',')
}

/// A file read into cells: its header and its data rows, each with its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub delimiter: u8,
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

/// Why a file cannot be read at all (worded in `message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Empty,
    NoRows,
    TooLarge,
    TooManyRows,
    TooManyColumns,
    Malformed { line: u64 },
}

impl FileError {
    pub fn message(&self, locale: Locale) -> String {
        let pt = matches!(locale, Locale::pt_BR);
        match self {
            FileError::Empty => if pt {
                "O arquivo está vazio."
            } else {
                "The file is empty."
            }
            .into(),
            FileError::NoRows => if pt {
                "O arquivo tem a linha de cabeçalho, mas nenhum cliente abaixo dela."
            } else {
                "The file has a header line but no clients below it."
            }
            .into(),
            FileError::TooLarge => {
                if pt {
                    format!(
                        "O arquivo tem mais de {} MB. Divida-o em arquivos menores.",
                        MAX_IMPORT_BYTES / (1024 * 1024)
                    )
                } else {
                    format!(
                        "The file is larger than {} MB. Split it into smaller files.",
                        MAX_IMPORT_BYTES / (1024 * 1024)
                    )
                }
            }
            FileError::TooManyRows => {
                if pt {
                    format!("O arquivo tem mais de {MAX_IMPORT_ROWS} linhas. Divida-o em arquivos menores.")
                } else {
                    format!("The file has more than {MAX_IMPORT_ROWS} rows. Split it into smaller files.")
                }
            }
            FileError::TooManyColumns => {
                if pt {
                    format!("O arquivo tem mais de {MAX_COLUMNS} colunas.")
                } else {
                    format!("The file has more than {MAX_COLUMNS} columns.")
                }
            }
            FileError::Malformed { line } => {
                if pt {
                    format!("A linha {line} não pôde ser lida como CSV (confira as aspas).")
                } else {
                    format!("Line {line} could not be read as CSV (check its quotes).")
                }
            }
        }
    }

    pub fn into_app_error(self, locale: Locale) -> AppError {
        AppError::validation("file", self.message(locale))
    }
}

#[cfg(feature = "ssr")]
/// Reads the file: the first non-empty line is the header; rows with no text are skipped.
pub fn read_table(text: &str) -> Result<Table, FileError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(FileError::TooLarge);
    }
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let delimiter = detect_delimiter(text.trim_start_matches(['\r', '\n']));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| FileError::Malformed {
            line: e.position().map(|p| p.line()).unwrap_or(0),
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        if cells.len() > MAX_COLUMNS {
            return Err(FileError::TooManyColumns);
        }
        if header.is_none() {
            header = Some(cells);
            continue;
        }
        if rows.len() == MAX_IMPORT_ROWS {
            return Err(FileError::TooManyRows);
        }
        rows.push((line, cells));
    }
    let header = header.ok_or(FileError::Empty)?;
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    Ok(Table {
        delimiter,
        header,
        rows,
    })
}

/// What the owner sees before importing: the header, the first rows, the guesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub total_rows: usize,
    pub columns: Vec<Column>,
}

pub fn preview(table: &Table) -> ImportPreview {
    ImportPreview {
        header: table.header.clone(),
        rows: table
            .rows
            .iter()
            .take(PREVIEW_ROWS)
            .map(|(_, cells)| cells.clone())
            .collect(),
        total_rows: table.rows.len(),
        columns: guess_columns(&table.header),
    }
}

/// A row that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRow {
    pub line: u64,
    pub name: String,
    /// In E.164, each once.
    pub phones: Vec<(String, PhoneLabel)>,
    /// Lower case.
    pub email: Option<String>,
    pub notes: Option<String>,
    pub address: Option<String>,
}

/// A row not imported, with its line in the file and why, in the employee's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRow {
    pub line: u64,
    pub reason: String,
    pub cells: Vec<String>,
}

/// The separators between several numbers in one cell.
#[cfg(feature = "ssr")]
fn split_phones(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(['/', ',', ';', '|', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

#[cfg(feature = "ssr")]
/// Checks one row against the columns (`columns[i]` for the row's cell `i`).
pub fn check_row(
    locale: Locale,
    country: Country,
    columns: &[Column],
    line: u64,
    cells: &[String],
) -> Result<CheckedRow, RefusedRow> {
    let refuse = |reason: String| RefusedRow {
        line,
        reason,
        cells: cells.to_vec(),
    };
    // A cell our export quoted off (`'=…`, `'+55…`) reads as it was.
    let cell = |i: usize| {
        let v = cells.get(i).map(String::as_str).unwrap_or("").trim();
        v.strip_prefix('\'')
            .filter(|r| r.starts_with(['=', '+', '-', '@']))
            .unwrap_or(v)
    };
    let mut names = Vec::new();
    let mut phones: Vec<(String, PhoneLabel)> = Vec::new();
    let mut email = None;
    let mut notes: Vec<&str> = Vec::new();
    let mut address: Vec<&str> = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let value = cell(i);
        if value.is_empty() {
            continue;
        }
        match column {
            Column::Ignore => {}
            Column::Name => names.push(value),
            Column::Phone(label) => {
                for raw in split_phones(value) {
                    let phone = crate::phone::normalize(raw, country)
                        .map_err(|e| refuse(e.message(locale)))?
                        .to_string();
                    if !phones.iter().any(|(p, _)| *p == phone) {
                        phones.push((phone, *label));
                    }
                }
            }
            Column::Email => {
                if email.is_none() {
                    let checked = crate::employees::check_email(locale, value).map_err(|_| {
                        refuse(if matches!(locale, Locale::pt_BR) {
                            format!("O e-mail “{value}” não é um endereço válido.")
                        } else {
                            format!("The email “{value}” is not a valid address.")
                        })
                    })?;
                    email = Some(checked);
                }
            }
            Column::Notes => notes.push(value),
            Column::Address => address.push(value),
        }
    }
    let name = names.join(" ");
    if name.trim().is_empty() {
        return Err(refuse(
            if matches!(locale, Locale::pt_BR) {
                "Sem nome."
            } else {
                "No name."
            }
            .into(),
        ));
    }
    let name = crate::employees::check_name(locale, "name", &name).map_err(|e| {
        refuse(match e {
            AppError::Validation { message, .. } => message,
            other => other.to_string(),
        })
    })?;
    if phones.len() > MAX_PHONES_PER_ROW {
        return Err(refuse(if matches!(locale, Locale::pt_BR) {
            format!("Mais de {MAX_PHONES_PER_ROW} telefones.")
        } else {
            format!("More than {MAX_PHONES_PER_ROW} phone numbers.")
        }));
    }
    let joined = |parts: Vec<&str>| (!parts.is_empty()).then(|| parts.join("\n"));
    let (notes, address) = (joined(notes), joined(address));
    for text in [&notes, &address].into_iter().flatten() {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(refuse(if matches!(locale, Locale::pt_BR) {
                format!("Um texto tem mais de {MAX_TEXT_CHARS} caracteres.")
            } else {
                format!("A text is longer than {MAX_TEXT_CHARS} characters.")
            }));
        }
    }
    Ok(CheckedRow {
        line,
        name,
        phones,
        email,
        notes,
        address,
    })
}

#[cfg(feature = "ssr")]
/// Checks every row: those that pass, and those refused.
pub fn check_rows(
    locale: Locale,
    country: Country,
    table: &Table,
    columns: &[Column],
) -> (Vec<CheckedRow>, Vec<RefusedRow>) {
    let mut ok = Vec::with_capacity(table.rows.len());
    let mut refused = Vec::new();
    for (line, cells) in &table.rows {
        match check_row(locale, country, columns, *line, cells) {
            Ok(row) => ok.push(row),
            Err(row) => refused.push(row),
        }
    }
    (ok, refused)
}

/// The columns as the owner chose them: one per header cell, and a name among them.
pub fn check_columns(
    locale: Locale,
    header: &[String],
    columns: &[Column],
) -> Result<(), AppError> {
    if columns.len() != header.len() {
        return Err(AppError::validation(
            "columns",
            if matches!(locale, Locale::pt_BR) {
                "Escolha o conteúdo de cada coluna do arquivo."
            } else {
                "Choose what each column of the file holds."
            },
        ));
    }
    if !columns.contains(&Column::Name) {
        return Err(AppError::validation(
            "columns",
            if matches!(locale, Locale::pt_BR) {
                "Escolha a coluna que tem o nome."
            } else {
                "Choose the column that holds the name."
            },
        ));
    }
    Ok(())
}

/// A client already there that a row may update (one the employee sees).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub id: i64,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub address: Option<String>,
    pub phones: Vec<String>,
}

/// A client to create, from one row or several with a phone or email in common.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    pub lines: Vec<u64>,
    pub name: String,
    pub phones: Vec<(String, PhoneLabel)>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub address: Option<String>,
}

/// What the rows add to a client already there: only fields it has empty, and phones it
/// lacks; its name stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientUpdate {
    pub id: i64,
    pub lines: Vec<u64>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub address: Option<String>,
    pub phones: Vec<(String, PhoneLabel)>,
}

impl ClientUpdate {
    pub fn changes_something(&self) -> bool {
        self.email.is_some()
            || self.notes.is_some()
            || self.address.is_some()
            || !self.phones.is_empty()
    }

    /// The changed fields' names, for the client's history.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if self.email.is_some() {
            fields.push("email");
        }
        if self.notes.is_some() {
            fields.push("notes");
        }
        if self.address.is_some() {
            fields.push("address");
        }
        if !self.phones.is_empty() {
            fields.push("phones");
        }
        fields
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub create: Vec<NewClient>,
    /// Clients matched; those whose update changes nothing count as unchanged.
    pub update: Vec<ClientUpdate>,
}

#[derive(Hash, PartialEq, Eq, Clone)]
enum Key {
    Phone(String),
    Email(String),
}

fn keys(row: &CheckedRow) -> Vec<Key> {
    row.phones
        .iter()
        .map(|(p, _)| Key::Phone(p.clone()))
        .chain(row.email.iter().map(|e| Key::Email(e.clone())))
        .collect()
}

struct Group {
    target: Option<usize>,
    lines: Vec<u64>,
    name: String,
    phones: Vec<(String, PhoneLabel)>,
    email: Option<String>,
    notes: Option<String>,
    address: Option<String>,
}

/// Groups the rows: a row with a phone or email of an existing client updates it; one with
/// a phone or email of an earlier row joins that row's client; the others create one each.
/// The first row of a client gives its name; later ones fill what is still empty.
pub fn plan(rows: Vec<CheckedRow>, existing: &[Existing]) -> Plan {
    let mut existing_by_key: HashMap<Key, usize> = HashMap::new();
    for (i, e) in existing.iter().enumerate() {
        for phone in &e.phones {
            existing_by_key
                .entry(Key::Phone(phone.clone()))
                .or_insert(i);
        }
        if let Some(email) = &e.email {
            existing_by_key
                .entry(Key::Email(email.to_lowercase()))
                .or_insert(i);
        }
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut group_by_key: HashMap<Key, usize> = HashMap::new();
    let mut group_by_existing: HashMap<usize, usize> = HashMap::new();
    for row in rows {
        let row_keys = keys(&row);
        let found = row_keys
            .iter()
            .find_map(|k| group_by_key.get(k).copied())
            .or_else(|| {
                let target = row_keys
                    .iter()
                    .find_map(|k| existing_by_key.get(k).copied())?;
                Some(*group_by_existing.entry(target).or_insert_with(|| {
                    groups.push(Group {
                        target: Some(target),
                        lines: Vec::new(),
                        name: String::new(),
                        phones: Vec::new(),
                        email: None,
                        notes: None,
                        address: None,
                    });
                    groups.len() - 1
                }))
            });
        let index = match found {
            Some(index) => index,
            None => {
                groups.push(Group {
                    target: None,
                    lines: Vec::new(),
                    name: row.name.clone(),
                    phones: Vec::new(),
                    email: None,
                    notes: None,
                    address: None,
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[index];
        group.lines.push(row.line);
        for (phone, label) in row.phones {
            if !group.phones.iter().any(|(p, _)| *p == phone) {
                group.phones.push((phone, label));
            }
        }
        group.email = group.email.take().or(row.email);
        group.notes = group.notes.take().or(row.notes);
        group.address = group.address.take().or(row.address);
        for key in row_keys {
            group_by_key.entry(key).or_insert(index);
        }
    }
    let mut plan = Plan::default();
    for group in groups {
        match group.target {
            None => plan.create.push(NewClient {
                lines: group.lines,
                name: group.name,
                phones: group.phones,
                email: group.email,
                notes: group.notes,
                address: group.address,
            }),
            Some(i) => {
                let e = &existing[i];
                let empty = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
                plan.update.push(ClientUpdate {
                    id: e.id,
                    lines: group.lines,
                    email: group.email.filter(|_| empty(&e.email)),
                    notes: group.notes.filter(|_| empty(&e.notes)),
                    address: group.address.filter(|_| empty(&e.address)),
                    phones: group
                        .phones
                        .into_iter()
                        .filter(|(p, _)| !e.phones.contains(p))
                        .collect(),
                });
            }
        }
    }
    plan
}

/// The outcome shown to the owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: Vec<RefusedRow>,
}

/// A cell that a spreadsheet would run as a formula, quoted off with a leading `'`.
pub fn safe_cell(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(feature = "ssr")]
/// The Clients list as CSV: a header in the employee's language (which `guess_column`
/// reads back), then one row per client; phones joined with ", ".
pub fn export_csv(locale: Locale, clients: &[super::Client]) -> Vec<u8> {
    let header: [&str; 5] = if matches!(locale, Locale::pt_BR) {
        ["Nome", "Telefones", "E-mail", "Endereço", "Observações"]
    } else {
        ["Name", "Phones", "Email", "Address", "Notes"]
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(header);
    for c in clients {
        let _ = writer.write_record([
            safe_cell(&c.name),
            safe_cell(&c.phones.join(", ")),
            safe_cell(c.email.as_deref().unwrap_or("")),
            safe_cell(c.address.as_deref().unwrap_or("")),
            safe_cell(c.notes.as_deref().unwrap_or("")),
        ]);
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(feature = "ssr")]
/// The refused rows as CSV (the file's header, then a line and a reason column), to fix and
/// import again.
pub fn refused_csv(locale: Locale, header: &[String], refused: &[RefusedRow]) -> Vec<u8> {
    let (line, reason) = if matches!(locale, Locale::pt_BR) {
        ("Linha", "Motivo")
    } else {
        ("Line", "Reason")
    };
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut first: Vec<String> = vec![line.into(), reason.into()];
    first.extend(header.iter().map(|h| safe_cell(h)));
    let _ = writer.write_record(&first);
    for row in refused {
        let mut record = vec![row.line.to_string(), safe_cell(&row.reason)];
        record.extend(row.cells.iter().map(|c| safe_cell(c)));
        let _ = writer.write_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

/// Every distinct phone and email the rows bring, to look up existing clients in bulk.
pub fn lookup_keys(rows: &[CheckedRow]) -> (Vec<String>, Vec<String>) {
    let mut phones = HashSet::new();
    let mut emails = HashSet::new();
    for row in rows {
        phones.extend(row.phones.iter().map(|(p, _)| p.clone()));
        emails.extend(row.email.iter().cloned());
    }
    let mut phones: Vec<String> = phones.into_iter().collect();
    let mut emails: Vec<String> = emails.into_iter().collect();
    phones.sort();
    emails.sort();
    (phones, emails)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn columns_are_guessed_in_english_and_portuguese() {
        let header = strings(&[
            "Nome",
            "Sobrenome",
            "Celular",
            "Telefone Residencial",
            "E-mail",
            "Observações",
            "Endereço",
            "Código",
            "Work Phone",
            "Phone",
        ]);
        assert_eq!(
            guess_columns(&header),
            vec![
                Column::Name,
                Column::Name,
                Column::Phone(PhoneLabel::Mobile),
                Column::Phone(PhoneLabel::Home),
                Column::Email,
                Column::Notes,
                Column::Address,
                Column::Ignore,
                Column::Phone(PhoneLabel::Work),
                Column::Phone(PhoneLabel::Other),
            ]
        );
        assert_eq!(guess_column("Full name"), Column::Name);
        assert_eq!(guess_column("WhatsApp"), Column::Phone(PhoneLabel::Mobile));
        assert_eq!(guess_column("Notes"), Column::Notes);
        assert_eq!(guess_column(""), Column::Ignore);
    }

    #[test]
    fn column_codes_round_trip() {
        for c in [
            Column::Ignore,
            Column::Name,
            Column::Email,
            Column::Notes,
            Column::Address,
            Column::Phone(PhoneLabel::Home),
            Column::Phone(PhoneLabel::Mobile),
        ] {
            assert_eq!(Column::parse_code(&c.as_code()), Some(c));
        }
        assert_eq!(Column::parse_code("phone:fax"), None);
        assert_eq!(Column::parse_code("admin"), None);
    }

    #[test]
    fn text_is_utf8_or_windows_1252() {
        assert_eq!(decode("\u{FEFF}Nome;João".as_bytes()), "Nome;João");
        assert_eq!(decode(b"Jo\xe3o \x80"), "João €");
    }

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(detect_delimiter("Nome;Telefone;\"a,b\"\nx;y;z"), b';');
        assert_eq!(detect_delimiter("a,b,c"), b',');
        assert_eq!(detect_delimiter("a\tb"), b'\t');
        assert_eq!(detect_delimiter("name"), b',');
    }

    #[test]
    fn a_table_is_read_with_line_numbers_and_blank_rows_skipped() {
        let table = read_table("\nName,Phone\n\"Ana, Jr\",11987654321\n,\nBia,\n").unwrap();
        assert_eq!(table.header, strings(&["Name", "Phone"]));
        assert_eq!(
            table.rows,
            vec![
                (3, strings(&["Ana, Jr", "11987654321"])),
                (5, strings(&["Bia", ""]))
            ]
        );
        assert_eq!(read_table(" \n"), Err(FileError::Empty));
        assert_eq!(read_table("Name,Phone\n"), Err(FileError::NoRows));
        let p = preview(&table);
        assert_eq!(p.total_rows, 2);
        assert_eq!(
            p.columns,
            vec![Column::Name, Column::Phone(PhoneLabel::Other)]
        );
    }

    fn check(columns: &[Column], cells: &[&str]) -> Result<CheckedRow, RefusedRow> {
        check_row(Locale::en, Country::BR, columns, 7, &strings(cells))
    }

    #[test]
    fn rows_are_normalised_and_refused_with_their_line_and_reason() {
        let columns = [
            Column::Name,
            Column::Name,
            Column::Phone(PhoneLabel::Mobile),
            Column::Phone(PhoneLabel::Work),
            Column::Email,
            Column::Notes,
        ];
        let row = check(
            &columns,
            &[
                "Ana",
                "Souza",
                "(11) 98765-4321 / +55 11 3333-4444",
                "11 98765-4321",
                "Ana@Example.COM",
                "likes calls",
            ],
        )
        .unwrap();
        assert_eq!(row.name, "Ana Souza");
        assert_eq!(
            row.phones,
            vec![
                ("+5511987654321".to_string(), PhoneLabel::Mobile),
                ("+551133334444".to_string(), PhoneLabel::Mobile)
            ]
        );
        assert_eq!(row.email.as_deref(), Some("ana@example.com"));
        assert_eq!(row.notes.as_deref(), Some("likes calls"));

        let refused = check(&columns, &["", "", "11987654321", "", "", ""]).unwrap_err();
        assert_eq!((refused.line, refused.reason.as_str()), (7, "No name."));
        let refused = check(&columns, &["Bo", "", "call me", "", "", ""]).unwrap_err();
        assert!(refused.reason.contains("call me"), "{}", refused.reason);
        let refused = check(&columns, &["Bo", "", "", "", "bo@", ""]).unwrap_err();
        assert_eq!(refused.reason, "The email “bo@” is not a valid address.");
        assert_eq!(refused.cells[0], "Bo");
        let pt = check_row(
            Locale::pt_BR,
            Country::BR,
            &columns,
            3,
            &strings(&["", "", "", "", "", ""]),
        )
        .unwrap_err();
        assert_eq!(pt.reason, "Sem nome.");
        // A name alone is a client.
        assert!(check(&columns, &["Cy"]).is_ok());
    }

    #[test]
    fn the_mapping_needs_a_name_and_every_column() {
        let header = strings(&["a", "b"]);
        assert!(check_columns(Locale::en, &header, &[Column::Name, Column::Ignore]).is_ok());
        assert!(check_columns(Locale::en, &header, &[Column::Email, Column::Ignore]).is_err());
        assert!(check_columns(Locale::en, &header, &[Column::Name]).is_err());
    }

    fn row(line: u64, name: &str, phones: &[&str], email: Option<&str>) -> CheckedRow {
        CheckedRow {
            line,
            name: name.into(),
            phones: phones
                .iter()
                .map(|p| (p.to_string(), PhoneLabel::Mobile))
                .collect(),
            email: email.map(str::to_owned),
            notes: None,
            address: None,
        }
    }

    #[test]
    fn duplicates_within_the_file_make_one_client() {
        let mut third = row(4, "Ana S.", &["+5511900000002"], Some("ana@x.com"));
        third.notes = Some("VIP".into());
        let plan = plan(
            vec![
                row(2, "Ana", &["+5511900000001"], None),
                row(3, "Bia", &["+5511900000009"], None),
                // Same phone as line 2, brings an email; then a row with that email only.
                row(4, "Ana Souza", &["+5511900000001"], Some("ana@x.com")),
                third,
            ],
            &[],
        );
        assert!(plan.update.is_empty());
        assert_eq!(plan.create.len(), 2);
        let ana = &plan.create[0];
        assert_eq!(ana.name, "Ana");
        assert_eq!(ana.lines, vec![2, 4, 4]);
        assert_eq!(ana.email.as_deref(), Some("ana@x.com"));
        assert_eq!(ana.notes.as_deref(), Some("VIP"));
        assert_eq!(
            ana.phones
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>(),
            vec!["+5511900000001", "+5511900000002"]
        );
        assert_eq!(plan.create[1].name, "Bia");
    }

    #[test]
    fn duplicates_of_existing_clients_fill_them_instead() {
        let existing = [
            Existing {
                id: 10,
                email: None,
                notes: Some("old".into()),
                address: None,
                phones: vec!["+5511900000001".into()],
            },
            Existing {
                id: 11,
                email: Some("bia@x.com".into()),
                notes: None,
                address: None,
                phones: vec![],
            },
        ];
        let mut first = row(
            2,
            "Ana",
            &["+5511900000001", "+5511900000003"],
            Some("ana@x.com"),
        );
        first.notes = Some("new".into());
        let plan = plan(
            vec![
                first,
                row(3, "Bia", &[], Some("bia@x.com")),
                row(4, "Cy", &["+5511900000004"], None),
            ],
            &existing,
        );
        assert_eq!(plan.create.len(), 1);
        assert_eq!(plan.create[0].name, "Cy");
        let ana = plan.update.iter().find(|u| u.id == 10).unwrap();
        assert_eq!(ana.email.as_deref(), Some("ana@x.com"));
        assert_eq!(ana.notes, None, "notes already there stay");
        assert_eq!(
            ana.phones,
            vec![("+5511900000003".into(), PhoneLabel::Mobile)]
        );
        assert_eq!(ana.fields(), vec!["email", "phones"]);
        let bia = plan.update.iter().find(|u| u.id == 11).unwrap();
        assert!(!bia.changes_something(), "nothing new: unchanged");
    }

    #[test]
    fn the_export_quotes_off_formulas() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("+5511987654321"), "'+5511987654321");
        assert_eq!(safe_cell("-1"), "'-1");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Ana"), "Ana");
        let client = super::super::Client {
            id: crate::ids::ClientId(1),
            name: "=cmd|' /C calc'!A0".into(),
            email: Some("a@x.com".into()),
            address: None,
            notes: Some("line1\nline2".into()),
            phones: vec!["+5511987654321".into()],
            phones_display: vec!["(11) 98765-4321".into()],
            shared: true,
        };
        let text = String::from_utf8(export_csv(Locale::en, &[client])).unwrap();
        assert!(
            text.starts_with("Name,Phones,Email,Address,Notes\n"),
            "{text}"
        );
        assert!(text.contains("\n'=cmd|' /C calc'!A0,"), "{text}");
        assert!(text.contains("'+5511987654321"), "{text}");
        assert!(text.contains("\"line1\nline2\""), "{text}");
        // The export's header reads back as the columns it holds.
        let table = read_table(&text).unwrap();
        assert_eq!(
            guess_columns(&table.header),
            vec![
                Column::Name,
                Column::Phone(PhoneLabel::Other),
                Column::Email,
                Column::Address,
                Column::Notes
            ]
        );
        let refused = refused_csv(
            Locale::pt_BR,
            &strings(&["Nome"]),
            &[RefusedRow {
                line: 3,
                reason: "Sem nome.".into(),
                cells: strings(&["=1+1"]),
            }],
        );
        assert_eq!(
            String::from_utf8(refused).unwrap(),
            "Linha,Motivo,Nome\n3,Sem nome.,'=1+1\n"
        );
    }
}
