//! `import-roster`: loads 建档立卡 records from CSV.
//!
//! Header: `name,id_number,phones,category,district,reference_photo` (any order). Phones are
//! separated by `;`; category is one of 军休干部, 自主择业军转干部, 逐月领取退役金退役军人,
//! 无军籍退休职工, 优抚对象; district a GB/T 2260 code; reference_photo a JPEG/PNG path (relative
//! to the CSV file) or empty. Each bad row is reported by line number with every reason; good
//! rows still load. A person already in the roster (same ID number) is updated.
//!
//! Reference photos are checked by decoding them and stored, content-addressed, under
//! `DATA_DIR/reference-photos/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use shared::category::Category;
use shared::id::IdNumber;
use shared::name::PersonName;
use shared::phone::MobilePhone;
use shared::region::RegionCode;
use shared::FieldError;

use crate::domain::{Fields, SimpleError};
use crate::store::{RosterRecord, Store};
use crate::tokens;

pub const COLUMNS: [&str; 6] = [
    "name",
    "id_number",
    "phones",
    "category",
    "district",
    "reference_photo",
];

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub errors: Vec<FieldError>,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: usize,
    pub rejected: Vec<RowError>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "imported {} record(s); rejected {} row(s)",
            self.imported,
            self.rejected.len()
        )?;
        for r in &self.rejected {
            for e in &r.errors {
                writeln!(
                    f,
                    "  line {}: {}: {} ({})",
                    r.line, e.field, e.message, e.code
                )?;
            }
        }
        Ok(())
    }
}

/// Why the file as a whole could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("bad CSV header: expected the columns {expected}, missing {missing}")]
    Header { expected: String, missing: String },
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("cannot store a reference photo: {0}")]
    Photo(std::io::Error),
}

fn photo_error(code: &'static str, message: &'static str) -> SimpleError {
    SimpleError { code, message }
}

/// Reads and checks a reference photo: JPEG or PNG that decodes. Returns (bytes, extension).
fn load_photo(path: &Path) -> Result<(Vec<u8>, &'static str), SimpleError> {
    let bytes =
        std::fs::read(path).map_err(|_| photo_error("photo_unreadable", "基准照片文件无法读取"))?;
    let ext = match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Jpeg) => "jpg",
        Ok(image::ImageFormat::Png) => "png",
        _ => return Err(photo_error("photo_format", "基准照片须为JPEG或PNG格式")),
    };
    image::load_from_memory(&bytes)
        .map_err(|_| photo_error("photo_corrupt", "基准照片已损坏,无法解码"))?;
    Ok((bytes, ext))
}

fn parse_phones(s: &str) -> Result<Vec<MobilePhone>, Vec<FieldError>> {
    let parts: Vec<&str> = s
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Err(vec![FieldError::new(
            "phones",
            "phones_empty",
            "请至少登记一个手机号码",
        )]);
    }
    let mut phones = Vec::new();
    let mut errors = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        match MobilePhone::parse(p) {
            Ok(phone) => phones.push(phone),
            Err(e) => errors.push(shared::UserError::at(&e, format!("phones[{i}]"))),
        }
    }
    if errors.is_empty() {
        Ok(phones)
    } else {
        Err(errors)
    }
}

/// Imports `csv_path` into `store`; photos go to `data_dir/reference-photos`.
pub async fn import(
    store: &Store,
    data_dir: &Path,
    csv_path: &Path,
    today: NaiveDate,
    now: i64,
) -> Result<ImportReport, ImportError> {
    let text = std::fs::read(csv_path).map_err(|e| ImportError::Read(csv_path.to_owned(), e))?;
    let base = csv_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_slice());
    let headers = reader.headers()?.clone();
    let index: HashMap<&str, usize> = COLUMNS
        .iter()
        .filter_map(|c| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == *c)
                .map(|i| (*c, i))
        })
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !index.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Header {
            expected: COLUMNS.join(","),
            missing: missing.join(","),
        });
    }
    let photo_dir = data_dir.join("reference-photos");
    let mut report = ImportReport::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                report.rejected.push(RowError {
                    line,
                    errors: vec![FieldError::new("row", "csv_invalid", "该行CSV格式错误")],
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let get = |c: &str| index.get(c).and_then(|&i| record.get(i)).unwrap_or("");
        let mut f = Fields::new();
        let name = f.take("name", PersonName::parse(get("name")));
        let id = f.take("id_number", IdNumber::parse(get("id_number"), today));
        let phones = match parse_phones(get("phones")) {
            Ok(p) => Some(p),
            Err(errs) => {
                for e in errs {
                    f.push(&e.field, &e.code, &e.message);
                }
                None
            }
        };
        let category = f.take("category", Category::parse(get("category")));
        let district = f.take("district", RegionCode::parse(get("district")));
        let photo_path = get("reference_photo");
        let photo = if photo_path.is_empty() {
            Some(None)
        } else {
            f.take("reference_photo", load_photo(&base.join(photo_path)))
                .map(Some)
        };
        if let Some(id) = &id {
            if let Some(first) = seen.get(id.as_str()) {
                f.push(
                    "id_number",
                    "duplicate_in_file",
                    &format!("与第{first}行身份证号重复"),
                );
            }
        }
        let (Some(name), Some(id), Some(phones), Some(category), Some(district), Some(photo)) =
            (name, id, phones, category, district, photo)
        else {
            if let Err(crate::error::ApiError::Invalid(errors)) = f.finish() {
                report.rejected.push(RowError { line, errors });
            }
            continue;
        };
        if let Err(crate::error::ApiError::Invalid(errors)) = f.finish() {
            report.rejected.push(RowError { line, errors });
            continue;
        }
        seen.insert(id.as_str().to_owned(), line);
        let reference_photo = match photo {
            Some((bytes, ext)) => {
                std::fs::create_dir_all(&photo_dir).map_err(ImportError::Photo)?;
                let file = format!(
                    "{}.{ext}",
                    crate::tokens::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes))
                );
                std::fs::write(photo_dir.join(&file), &bytes).map_err(ImportError::Photo)?;
                Some(format!("reference-photos/{file}"))
            }
            None => None,
        };
        let rec = RosterRecord {
            id: tokens::new_id(),
            name: name.as_str().to_owned(),
            id_number: id.as_str().to_owned(),
            phones: phones.iter().map(|p| p.as_str().to_owned()).collect(),
            category: category.as_str().to_owned(),
            district: district.as_str().to_owned(),
            reference_photo,
            last_review: None,
        };
        store.upsert_roster(&rec, now).await?;
        report.imported += 1;
    }
    Ok(report)
}
