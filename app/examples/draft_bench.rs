//! How long one draft save takes (encrypt + sled insert + flush to disk), the cost of one
//! keystroke in the wizard. `cargo run -p app --example draft_bench [N]` prints the numbers.

use std::collections::BTreeMap;
use std::time::Instant;

use app::drafts::{DraftStore, StaticKey};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("zhanyou-draft-bench-{}", std::process::id()));
    let store = DraftStore::open(&dir, &StaticKey([3; 32])).expect("open store");
    let mut draft = BTreeMap::new();
    for (k, v) in [
        ("basic.phone", "13300001234"),
        ("basic.emergency_contact_name", "张三"),
        ("basic.emergency_contact_phone", "15800005678"),
        ("basic.placement_region", "110101"),
        ("basic.residence_region", "110101"),
        ("party.branch", "第一党支部"),
        ("rewards.award_name", "三等功"),
    ] {
        draft.insert(k.to_owned(), v.to_owned());
    }
    let address: Vec<char> = "辽宁省大连市甘井子区百合湾11号楼3单元5-2".chars().collect();
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let typed: String = address[..i % (address.len() + 1)].iter().collect();
        draft.insert("basic.residence_address".to_owned(), typed);
        let t = Instant::now();
        store.save("u1", 2026, &draft).expect("save");
        times.push(t.elapsed());
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    times.sort();
    let total: std::time::Duration = times.iter().sum();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "draft save (encrypt + insert + flush), {n} saves: mean {:?}, p50 {:?}, p99 {:?}, max {:?}",
        total / n as u32,
        pct(0.5),
        pct(0.99),
        times[times.len() - 1]
    );
}
