//! Administrative regions (行政区划, GB/T 2260): the table behind the 安置地 and 现住地 pickers.
//!
//! A [`RegionCode`] is a 6-digit code that exists in the embedded table, so holding one means the
//! region is real; [`provinces`] and [`children`] drive a cascading picker, and
//! [`RegionCode::full_name`] is what the picker shows (`北京市/东城区`, `辽宁省/大连市/甘井子区`).
//!
//! # The model
//!
//! Three levels, read off the code: `PP0000` is a [province](RegionLevel::Province), `PPCC00` a
//! [city](RegionLevel::City) (地级: 市, 地区, 自治州, 盟), anything else a
//! [district](RegionLevel::District) (县级: 区, 县, 县级市, 旗 …). A district's parent is its
//! city when the table has one, otherwise its province. That covers the irregular places:
//!
//! - Municipalities (北京, 天津, 上海, 重庆): the source's 市辖区 / 县 "cities" (`110100`, `500200`)
//!   are grouping codes, not places, and are not in the table. The districts hang off the
//!   municipality directly, as the review form shows them: `北京市/东城区`, `重庆市/城口县`.
//! - 省直辖县级行政区划 / 自治区直辖县级行政区划 (`419000`, `429000`, `469000`, `659000`): likewise
//!   grouping codes, left out; 济源市 (`419001`) is a child of 河南省: `河南省/济源市`.
//! - Cities without districts (东莞 `441900`, 中山 `442000`, 儋州 `460400`, 嘉峪关 `620200`) are
//!   cities with no children: the picker stops there (`广东省/东莞市`).
//! - 台湾省 (`710000`), 香港 (`810000`) and 澳门 (`820000`) are provinces with no children.
//!
//! The table is generated from a pinned data package by `tools/regions/generate.py`; `data.rs`
//! names the package, version and tarball hash. Lookups are binary searches over the sorted
//! table and allocate nothing (only [`RegionCode::full_name`] builds a `String`).

mod data;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::UserError;
use data::REGIONS;
pub use data::{SOURCE_PACKAGE, SOURCE_SHA256, SOURCE_VERSION};

// `RegionCode` stores an index into the table as a `u16`.
const _: () = assert!(REGIONS.len() <= u16::MAX as usize);

/// The level of a region in the province → city → district hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省级: province, autonomous region, municipality, special administrative region.
    Province,
    /// 地级: city, prefecture, autonomous prefecture, league.
    City,
    /// 县级: district, county, county-level city, banner.
    District,
}

/// Why a region code was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// Nothing was chosen.
    #[error("请选择行政区划")]
    Empty,
    /// Not exactly 6 ASCII digits.
    #[error("行政区划代码应为6位数字")]
    Format,
    /// Six digits, but not a region in the table.
    #[error("未找到该行政区划,请重新选择")]
    Unknown,
}

impl UserError for RegionError {
    fn code(&self) -> &'static str {
        match self {
            RegionError::Empty => "region_empty",
            RegionError::Format => "region_code_format",
            RegionError::Unknown => "region_unknown",
        }
    }

    fn message(&self) -> String {
        self.to_string()
    }
}

/// A GB/T 2260 region code (`110101`) that exists in the embedded table.
///
/// Serialises as the code string and deserialises through [`RegionCode::parse`], so a request
/// carrying an unknown code fails to deserialise. Ordering is by code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct RegionCode {
    /// Index into [`REGIONS`]; always in bounds (only `at` and `find` construct the type).
    index: u16,
}

impl RegionCode {
    /// Parses a region code as sent by the picker. Surrounding whitespace is ignored.
    ///
    /// Errors, in order: [`RegionError::Empty`], [`RegionError::Format`] (not 6 ASCII digits),
    /// [`RegionError::Unknown`] (not in the table, including the grouping codes such as
    /// `110100` that the model leaves out).
    pub fn parse(s: &str) -> Result<RegionCode, RegionError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(RegionError::Empty);
        }
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionError::Format);
        }
        find(s).ok_or(RegionError::Unknown)
    }

    /// The 6-digit code, e.g. `110101`.
    pub fn as_str(&self) -> &'static str {
        self.entry().0
    }

    /// The region's own name, e.g. `东城区`.
    pub fn name(&self) -> &'static str {
        self.entry().1
    }

    /// The names from the province down, joined by `/`: `北京市/东城区`,
    /// `辽宁省/大连市/甘井子区`, `广东省`.
    pub fn full_name(&self) -> String {
        let parent = self.parent();
        let grandparent = parent.and_then(|p| p.parent());
        let mut out = String::new();
        for ancestor in [grandparent, parent].into_iter().flatten() {
            out.push_str(ancestor.name());
            out.push('/');
        }
        out.push_str(self.name());
        out
    }

    /// Province, city or district, read off the code.
    pub fn level(&self) -> RegionLevel {
        let code = self.as_str();
        if code.ends_with("0000") {
            RegionLevel::Province
        } else if code.ends_with("00") {
            RegionLevel::City
        } else {
            RegionLevel::District
        }
    }

    /// The region one level up: a district's city (or its province when it has no city, as in
    /// municipalities), a city's province; `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        match self.level() {
            RegionLevel::Province => None,
            RegionLevel::City => Some(self.province()),
            RegionLevel::District => {
                Some(find_prefix(self.as_str(), 4).unwrap_or_else(|| self.province()))
            }
        }
    }

    /// The province this region lies in (itself for a province).
    pub fn province(&self) -> RegionCode {
        // Every entry's province is in the table (checked by the generator and the tests); the
        // fallback keeps this total without a panic path.
        find_prefix(self.as_str(), 2).unwrap_or(*self)
    }

    /// The regions directly below this one, in code order; see [`children`].
    pub fn children(&self) -> impl Iterator<Item = RegionCode> {
        children(*self)
    }

    fn at(index: usize) -> RegionCode {
        debug_assert!(index < REGIONS.len());
        RegionCode {
            index: index as u16,
        }
    }

    fn entry(&self) -> &'static (&'static str, &'static str) {
        // `index` comes only from `at`, with an index of an existing entry.
        &REGIONS[usize::from(self.index)]
    }
}

/// The province-level regions, in code order (北京市 first). 34 in all.
pub fn provinces() -> impl Iterator<Item = RegionCode> {
    let mut next = 0;
    std::iter::from_fn(move || {
        while next < REGIONS.len() {
            let here = next;
            next = block_end(here, 2);
            let candidate = RegionCode::at(here);
            if candidate.level() == RegionLevel::Province {
                return Some(candidate);
            }
        }
        None
    })
}

/// The regions directly below `code`, in code order: a province's cities (and, for
/// municipalities and directly administered county-level units, its districts); a city's
/// districts; nothing for a district or a city without districts.
pub fn children(code: RegionCode) -> impl Iterator<Item = RegionCode> {
    let start = usize::from(code.index);
    let end = match code.level() {
        RegionLevel::Province => block_end(start, 2),
        RegionLevel::City => block_end(start, 4),
        RegionLevel::District => start + 1,
    };
    (start + 1..end)
        .map(RegionCode::at)
        .filter(move |r| r.parent() == Some(code))
}

/// Binary search for an exact code.
fn find(code: &str) -> Option<RegionCode> {
    REGIONS
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(RegionCode::at)
}

/// The entry whose code is the first `digits` digits of `code` followed by zeros (its province
/// for 2, its city for 4), if the table has it.
fn find_prefix(code: &str, digits: usize) -> Option<RegionCode> {
    let mut buf = *b"000000";
    let prefix = code.as_bytes().get(..digits)?;
    buf.get_mut(..digits)?.copy_from_slice(prefix);
    find(std::str::from_utf8(&buf).ok()?)
}

/// One past the last entry sharing the first `digits` digits with entry `start` (entries with a
/// common prefix are contiguous because the table is sorted).
fn block_end(start: usize, digits: usize) -> usize {
    let Some((code, _)) = REGIONS.get(start) else {
        return REGIONS.len();
    };
    let prefix = code.get(..digits);
    let rest = REGIONS.get(start..).unwrap_or(&[]);
    start + rest.partition_point(|(c, _)| c.get(..digits) == prefix)
}

impl Serialize for RegionCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

/// The code, e.g. `110101` (use [`RegionCode::full_name`] for people).
impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({} {})", self.as_str(), self.name())
    }
}

#[cfg(test)]
mod tests;
