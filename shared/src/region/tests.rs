use std::collections::HashSet;

use proptest::prelude::*;

use super::data::{SOURCE_PACKAGE, SOURCE_SHA256, SOURCE_VERSION};
use super::*;

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap_or_else(|e| panic!("{s} should parse, got {e:?}"))
}

fn all() -> impl Iterator<Item = RegionCode> {
    (0..REGIONS.len()).map(RegionCode::at)
}

fn codes(it: impl Iterator<Item = RegionCode>) -> Vec<&'static str> {
    it.map(|r| r.as_str()).collect()
}

// ---- known-good codes ---------------------------------------------------------------------

#[test]
fn known_regions_have_their_names_levels_and_parents() {
    use RegionLevel::{City as C, District as D, Province as P};
    // (code, level, parent, full name); the name is the last part of the full name.
    let cases = [
        ("110000", P, None, "北京市"),
        ("110101", D, Some("110000"), "北京市/东城区"),
        ("120116", D, Some("120000"), "天津市/滨海新区"),
        ("310115", D, Some("310000"), "上海市/浦东新区"),
        ("500101", D, Some("500000"), "重庆市/万州区"),
        ("500229", D, Some("500000"), "重庆市/城口县"),
        ("210000", P, None, "辽宁省"),
        ("210200", C, Some("210000"), "辽宁省/大连市"),
        ("210211", D, Some("210200"), "辽宁省/大连市/甘井子区"),
        ("441900", C, Some("440000"), "广东省/东莞市"),
        ("442000", C, Some("440000"), "广东省/中山市"),
        ("460400", C, Some("460000"), "海南省/儋州市"),
        ("620200", C, Some("620000"), "甘肃省/嘉峪关市"),
        ("419001", D, Some("410000"), "河南省/济源市"),
        ("429004", D, Some("420000"), "湖北省/仙桃市"),
        ("469001", D, Some("460000"), "海南省/五指山市"),
        ("659001", D, Some("650000"), "新疆维吾尔自治区/石河子市"),
        ("460321", D, Some("460300"), "海南省/三沙市/西沙群岛"),
        (
            "152921",
            D,
            Some("152900"),
            "内蒙古自治区/阿拉善盟/阿拉善左旗",
        ),
        ("810000", P, None, "香港特别行政区"),
        ("820000", P, None, "澳门特别行政区"),
        ("710000", P, None, "台湾省"),
    ];
    for (s, level, parent, full_name) in cases {
        let r = code(s);
        assert_eq!(r.as_str(), s);
        assert_eq!(Some(r.name()), full_name.rsplit('/').next(), "{s}");
        assert_eq!(r.level(), level, "{s}");
        assert_eq!(r.parent().map(|p| p.as_str()), parent, "{s}");
        assert_eq!(r.full_name(), full_name, "{s}");
        assert_eq!(r.province().as_str()[..2], s[..2], "{s}");
    }
}

#[test]
fn surrounding_whitespace_is_ignored() {
    assert_eq!(code(" 110101\n").as_str(), "110101");
    assert_eq!(
        "\t210211 ".parse::<RegionCode>().map(|r| r.name()),
        Ok("甘井子区")
    );
}

#[test]
fn recent_changes_in_the_source_are_present() {
    // Renamed or created between 2021 and mid-2023; an older data set would lack them.
    for (s, name) in [
        ("330113", "临平区"),
        ("350405", "沙县区"),
        ("659012", "白杨市"),
    ] {
        assert_eq!(code(s).name(), name);
    }
    // ...and the codes they replaced are gone.
    for s in ["330103", "350427", "410381"] {
        assert_eq!(RegionCode::parse(s), Err(RegionError::Unknown), "{s}");
    }
}

// ---- known-bad codes ----------------------------------------------------------------------

#[test]
fn bad_codes_are_rejected_with_specific_errors() {
    let cases = [
        ("", RegionError::Empty),
        ("   ", RegionError::Empty),
        ("11010", RegionError::Format),
        ("1101011", RegionError::Format),
        ("abcdef", RegionError::Format),
        ("11010a", RegionError::Format),
        ("-11010", RegionError::Format),
        ("+11010", RegionError::Format),
        ("110 101", RegionError::Format),
        ("１１０１０１", RegionError::Format), // full-width digits from a Chinese IME
        ("11010１", RegionError::Format),
        ("000000", RegionError::Unknown),
        ("999999", RegionError::Unknown),
        ("110100", RegionError::Unknown), // 北京市 市辖区: a grouping code, not in the model
        ("500200", RegionError::Unknown), // 重庆市 县: likewise
        ("419000", RegionError::Unknown), // 省直辖县级行政区划
        ("659000", RegionError::Unknown), // 自治区直辖县级行政区划
        ("130171", RegionError::Unknown), // 石家庄高新技术产业开发区: a development zone
        ("320571", RegionError::Unknown), // 苏州工业园区: likewise
        ("620201", RegionError::Unknown), // 嘉峪关 repeated as its own county in the source
        ("110199", RegionError::Unknown),
        ("990000", RegionError::Unknown),
    ];
    for (s, expected) in cases {
        assert_eq!(RegionCode::parse(s), Err(expected), "{s:?}");
    }
}

#[test]
fn errors_have_stable_codes_and_chinese_messages() {
    let cases = [
        (RegionError::Empty, "region_empty", "请选择行政区划"),
        (
            RegionError::Format,
            "region_code_format",
            "行政区划代码应为6位数字",
        ),
        (
            RegionError::Unknown,
            "region_unknown",
            "未找到该行政区划,请重新选择",
        ),
    ];
    for (err, code, message) in cases {
        assert_eq!(err.code(), code);
        assert_eq!(err.message(), message);
        let field = err.at("basic.residence_region");
        assert_eq!(field.field, "basic.residence_region");
        assert_eq!(field.code, code);
        assert_eq!(field.message, message);
    }
}

// ---- the table as a whole -----------------------------------------------------------------

#[test]
fn table_is_strictly_sorted_six_digit_codes_with_names() {
    assert!(REGIONS.len() > 3000, "only {} regions", REGIONS.len());
    for pair in REGIONS.windows(2) {
        assert!(
            pair[0].0 < pair[1].0,
            "not strictly sorted at {:?} / {:?}",
            pair[0],
            pair[1]
        );
    }
    let unique: HashSet<_> = REGIONS.iter().map(|(c, _)| c).collect();
    assert_eq!(unique.len(), REGIONS.len(), "duplicate codes");
    for (c, name) in REGIONS.iter() {
        assert!(c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()), "{c}");
        assert!(!name.is_empty() && name.trim() == *name, "{c} {name:?}");
    }
}

#[test]
fn every_code_in_the_table_parses_to_itself() {
    for (i, (c, name)) in REGIONS.iter().enumerate() {
        let r = code(c);
        assert_eq!(usize::from(r.index), i);
        assert_eq!((r.as_str(), r.name()), (*c, *name));
        assert_eq!(r.to_string(), *c);
    }
}

#[test]
fn every_parent_chain_reaches_a_province_through_higher_levels() {
    for r in all() {
        let mut steps = 0;
        let mut at = r;
        while let Some(parent) = at.parent() {
            assert!(
                parent.level() < at.level(),
                "{r:?}: {parent:?} is not above {at:?}"
            );
            assert!(
                at.as_str().starts_with(&parent.as_str()[..2]),
                "{r:?}: {parent:?}"
            );
            if parent.level() == RegionLevel::City {
                assert!(
                    at.as_str().starts_with(&parent.as_str()[..4]),
                    "{r:?}: {parent:?}"
                );
            }
            at = parent;
            steps += 1;
            assert!(steps <= 2, "{r:?}: chain too long");
        }
        assert_eq!(at.level(), RegionLevel::Province, "{r:?}");
        assert_eq!(at, r.province(), "{r:?}");
    }
}

#[test]
fn grouping_codes_are_absent_so_municipality_districts_hang_off_the_province() {
    for municipality in ["110000", "120000", "310000", "500000"] {
        let m = code(municipality);
        let kids: Vec<_> = children(m).collect();
        assert!(kids.len() >= 10, "{municipality}: {}", kids.len());
        assert!(
            kids.iter().all(|k| k.level() == RegionLevel::District),
            "{municipality}"
        );
    }
    assert_eq!(
        all()
            .filter(|r| r.name() == "市辖区" || r.name().contains("直辖县级"))
            .count(),
        0
    );
}

#[test]
fn provinces_are_the_34_province_level_regions_in_code_order() {
    let list = codes(provinces());
    assert_eq!(list.len(), 34);
    assert_eq!(list.first(), Some(&"110000"));
    assert_eq!(list.last(), Some(&"820000"));
    let expected: Vec<_> = all()
        .filter(|r| r.level() == RegionLevel::Province)
        .collect();
    assert_eq!(provinces().collect::<Vec<_>>(), expected);
    // The same prefixes the ID-number check accepts.
    let prefixes: Vec<_> = list.iter().map(|c| &c[..2]).collect();
    assert_eq!(prefixes, crate::id::PROVINCE_CODES);
}

#[test]
fn every_province_has_children_except_taiwan_hong_kong_and_macau() {
    for p in provinces() {
        let n = children(p).count();
        if ["710000", "810000", "820000"].contains(&p.as_str()) {
            assert_eq!(n, 0, "{p:?}");
        } else {
            assert!(n > 0, "{p:?} has no children");
        }
    }
}

#[test]
fn children_partition_the_table() {
    // Every region except the provinces is the child of exactly one region: its parent.
    let mut seen = HashSet::new();
    for r in all() {
        for child in children(r) {
            assert_eq!(child.parent(), Some(r), "{child:?} listed under {r:?}");
            assert!(seen.insert(child), "{child:?} listed twice");
        }
    }
    let non_provinces = all().filter(|r| r.level() != RegionLevel::Province).count();
    assert_eq!(seen.len(), non_provinces);
}

#[test]
fn children_of_known_regions() {
    let dalian = codes(children(code("210200")));
    assert!(dalian.contains(&"210211"), "{dalian:?}");
    assert!(dalian.iter().all(|c| c.starts_with("2102")));
    assert!(dalian.windows(2).all(|w| w[0] < w[1]), "not in code order");

    let henan = codes(children(code("410000")));
    assert!(henan.contains(&"410100"), "郑州市 missing");
    assert!(henan.contains(&"419001"), "济源市 missing");
    assert!(
        !henan.contains(&"410102"),
        "中原区 (a district of 郑州市) listed under the province"
    );

    for leaf in ["441900", "442000", "460400", "620200", "110101", "210211"] {
        assert_eq!(children(code(leaf)).count(), 0, "{leaf}");
        assert_eq!(code(leaf).children().count(), 0, "{leaf}");
    }
}

// ---- serde --------------------------------------------------------------------------------

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Form {
    residence: RegionCode,
}

#[test]
fn serde_round_trips_as_the_code_string() {
    let r = code("210211");
    assert_eq!(serde_json::to_string(&r).unwrap(), r#""210211""#);
    let form = Form {
        residence: code("110101"),
    };
    let json = serde_json::to_string(&form).unwrap();
    assert_eq!(json, r#"{"residence":"110101"}"#);
    assert_eq!(serde_json::from_str::<Form>(&json).unwrap(), form);
    for r in all() {
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<RegionCode>(&json).unwrap(), r);
    }
}

#[test]
fn serde_rejects_invalid_codes() {
    for bad in [
        r#""110100""#,
        r#""999999""#,
        r#""11010""#,
        r#""abcdef""#,
        r#""""#,
        "110101",
    ] {
        assert!(
            serde_json::from_str::<RegionCode>(bad).is_err(),
            "{bad} accepted"
        );
    }
    let err = serde_json::from_str::<Form>(r#"{"residence":"110100"}"#).unwrap_err();
    assert!(err.to_string().contains("未找到该行政区划"), "{err}");
}

#[test]
fn debug_shows_code_and_name() {
    assert_eq!(format!("{:?}", code("110101")), "RegionCode(110101 东城区)");
}

// ---- provenance ---------------------------------------------------------------------------

#[test]
fn generated_file_records_its_source_package() {
    let lock: serde_json::Value =
        serde_json::from_str(include_str!("../../../tools/regions/source.lock.json")).unwrap();
    assert_eq!(lock["package"], SOURCE_PACKAGE);
    assert_eq!(lock["version"], SOURCE_VERSION);
    assert_eq!(lock["sha256"], SOURCE_SHA256);
    assert_eq!(SOURCE_SHA256.len(), 64);

    let header: String = include_str!("data.rs")
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(header.contains("GENERATED, DO NOT EDIT"), "{header}");
    assert!(header.contains("tools/regions/generate.py"), "{header}");
    let source = format!("Source package: npm `{SOURCE_PACKAGE}` version {SOURCE_VERSION}");
    assert!(header.contains(&source), "{header}");
    assert!(
        header.contains(&format!("Tarball sha256: {SOURCE_SHA256}")),
        "{header}"
    );
    assert!(header.contains(&format!("License: {}", lock["license"].as_str().unwrap())));
    assert!(
        header.contains(&format!("Entries: {} =", REGIONS.len())),
        "{header}"
    );
}

// ---- properties ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,12}") {
        let _ = RegionCode::parse(&s);
    }

    #[test]
    fn six_digit_strings_are_accepted_exactly_when_in_the_table(s in "[0-9]{6}") {
        let in_table = REGIONS.iter().any(|(c, _)| *c == s);
        match RegionCode::parse(&s) {
            Ok(r) => {
                prop_assert!(in_table);
                prop_assert_eq!(r.as_str(), s.as_str());
            }
            Err(e) => {
                prop_assert!(!in_table);
                prop_assert_eq!(e, RegionError::Unknown);
            }
        }
    }

    #[test]
    fn display_parse_round_trip(i in 0..REGIONS.len()) {
        let r = RegionCode::at(i);
        prop_assert_eq!(RegionCode::parse(&r.to_string()), Ok(r));
    }
}

// ---- timing (prints numbers; asserts nothing about speed) ---------------------------------

/// `cargo test -p shared region::tests::print_lookup_timings -- --ignored --nocapture`
#[test]
#[ignore = "prints timings; run by hand"]
fn print_lookup_timings() {
    use std::hint::black_box;
    use std::time::Instant;

    let all_codes: Vec<&str> = REGIONS.iter().map(|(c, _)| *c).collect();
    let rounds = 100;
    let started = Instant::now();
    for _ in 0..rounds {
        for c in &all_codes {
            black_box(RegionCode::parse(black_box(c)).ok());
        }
    }
    let per_parse = started.elapsed() / (rounds * all_codes.len()) as u32;

    let started = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        for r in all() {
            n += black_box(r.full_name()).len();
        }
    }
    let per_full_name = started.elapsed() / (rounds * REGIONS.len()) as u32;

    let started = Instant::now();
    for _ in 0..rounds {
        for p in provinces() {
            n += children(p).count();
        }
    }
    let per_province_sweep = started.elapsed() / rounds as u32;
    println!(
        "parse: {per_parse:?}/code, full_name: {per_full_name:?}/code, \
         provinces()+children() of all 34: {per_province_sweep:?} ({n})"
    );
}
