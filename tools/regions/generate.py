#!/usr/bin/env python3
"""Generate shared/src/region/data.rs, the embedded GB/T 2260 region table.

The data comes from one pinned npm package (see source.lock.json beside this script). The script
fetches that exact version with `npm pack`, refuses it unless its sha256 and npm integrity match the
lock, reads the province/city/county CSVs inside, reshapes them into the model described in
README.md and writes the table sorted by code. Same input, same bytes: running it again produces an
identical file (no timestamps, no dict-order dependence).

Usage (from anywhere; Python 3.8+ standard library and npm only):

    python3 tools/regions/generate.py              # fetch, verify, write data.rs
    python3 tools/regions/generate.py --check      # fail if data.rs differs from a fresh build
    python3 tools/regions/generate.py --tarball china-division-2.7.0.tgz   # no network
"""

import argparse
import base64
import csv
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LOCK = HERE / "source.lock.json"
OUTPUT = REPO / "shared" / "src" / "region" / "data.rs"

# Province-level GB/T 2260 codes that the statistical data does not carry. They are kept as
# leaves (no cities below them): a veteran may live there, and `shared::id` accepts these prefixes.
SUPPLEMENT_PROVINCES = [
    ("710000", "台湾省"),
    ("810000", "香港特别行政区"),
    ("820000", "澳门特别行政区"),
]

# Municipalities (直辖市): their "cities" 市辖区 / 县 are only grouping codes, not places.
MUNICIPALITIES = {"11", "12", "31", "50"}
# Grouping "cities" that are not places: skipped, their county-level units hang off the province.
GROUPING_CITY_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def fail(message):
    sys.exit(f"generate.py: {message}")


def load_lock():
    lock = json.loads(LOCK.read_text(encoding="utf-8"))
    for key in ("package", "version", "license", "sha256", "integrity", "data"):
        if not lock.get(key):
            fail(f"{LOCK.name} lacks {key!r}")
    return lock


def fetch_tarball(lock, workdir):
    spec = f"{lock['package']}@{lock['version']}"
    result = subprocess.run(
        ["npm", "pack", spec, "--pack-destination", str(workdir), "--json"],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        fail(f"npm pack {spec} failed:\n{result.stderr}")
    try:
        filename = json.loads(result.stdout)[0]["filename"]
    except (ValueError, LookupError) as err:
        fail(f"unexpected `npm pack --json` output ({err}):\n{result.stdout}")
    return Path(workdir) / filename


def verify(lock, data):
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != lock["sha256"]:
        fail(f"tarball sha256 {sha256} does not match the lock's {lock['sha256']}")
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if integrity != lock["integrity"]:
        fail(f"tarball integrity {integrity} does not match the lock's {lock['integrity']}")


def read_member(tar, name):
    try:
        member = tar.extractfile(f"package/{name}")
    except KeyError:
        member = None
    if member is None:
        fail(f"the tarball has no package/{name}")
    return member.read().decode("utf-8")


def read_csv(tar, name, columns):
    rows = list(csv.DictReader(io.StringIO(read_member(tar, name))))
    if not rows or set(rows[0].keys()) != set(columns):
        fail(f"{name}: expected columns {columns}, found {list(rows[0].keys()) if rows else []}")
    return rows


def is_digits(s, n):
    return len(s) == n and s.isascii() and s.isdigit()


def build(tar, lock):
    """Return (entries, stats): entries is a sorted list of (code, name)."""
    meta = json.loads(read_member(tar, "package.json"))
    if meta.get("name") != lock["package"] or meta.get("version") != lock["version"]:
        fail(f"tarball is {meta.get('name')}@{meta.get('version')}, not the locked version")
    if lock["data_marker"] not in read_member(tar, "README.md"):
        fail(f"README.md no longer mentions {lock['data_marker']!r}; update the lock's data fields")

    provinces = read_csv(tar, "dist/provinces.csv", ["code", "name"])
    cities = read_csv(tar, "dist/cities.csv", ["code", "name", "provinceCode"])
    areas = read_csv(tar, "dist/areas.csv", ["code", "name", "cityCode", "provinceCode"])

    entries = {}
    stats = {"functional_zones_dropped": [], "pseudo_counties_dropped": [], "grouping_cities": []}

    def add(code, name):
        if not is_digits(code, 6):
            fail(f"bad code {code!r}")
        if not name or name != name.strip():
            fail(f"bad name {name!r} for {code}")
        if code in entries:
            fail(f"duplicate code {code} ({entries[code]} / {name})")
        entries[code] = name

    province_codes = set()
    for row in provinces:
        if not is_digits(row["code"], 2):
            fail(f"bad province code {row['code']!r}")
        province_codes.add(row["code"])
        add(row["code"] + "0000", row["name"])
    for code, name in SUPPLEMENT_PROVINCES:
        if code[:2] in province_codes:
            fail(f"{code} {name} is in the source now; drop it from SUPPLEMENT_PROVINCES")
        add(code, name)

    city_names = {}
    grouping = set()
    for row in cities:
        code, name, province = row["code"], row["name"], row["provinceCode"]
        if not is_digits(code, 4) or code[:2] != province or province not in province_codes:
            fail(f"bad city row {row}")
        city_names[code] = name
        if name in GROUPING_CITY_NAMES:
            # Only municipalities and the 90xx "directly administered" groups may be groupings.
            if province not in MUNICIPALITIES and code[2:] != "90":
                fail(f"unexpected grouping city {row}")
            grouping.add(code)
            stats["grouping_cities"].append(f"{code} {name}")
            continue
        if province in MUNICIPALITIES or code[2:] == "90":
            fail(f"expected a grouping city, found {row}")
        add(code + "00", name)

    for row in areas:
        code, name, city = row["code"], row["name"], row["cityCode"]
        if not is_digits(code, 6) or code[:4] != city or city not in city_names:
            fail(f"bad county row {row}")
        if row["provinceCode"] != code[:2]:
            fail(f"bad county row {row}")
        county = int(code[4:])
        if 71 <= county <= 80:
            # Codes the statistics bureau gives to development zones and similar units that the
            # Ministry of Civil Affairs has not coded; they are not GB/T 2260 regions.
            stats["functional_zones_dropped"].append(f"{code} {name}")
            continue
        if name == city_names[city]:
            # A city without counties (东莞, 中山, 儋州, 嘉峪关) repeated as its own county: the
            # city itself is the leaf.
            if city in grouping:
                fail(f"pseudo county under a grouping city: {row}")
            stats["pseudo_counties_dropped"].append(f"{code} {name}")
            continue
        add(code, name)

    ordered = sorted(entries.items())
    check_model(ordered)
    return ordered, stats


def parent_of(code, codes):
    if code.endswith("0000"):
        return None
    if not code.endswith("00"):
        city = code[:4] + "00"
        if city in codes:
            return city
    return code[:2] + "0000"


def check_model(ordered):
    """The invariants the Rust side relies on; its tests check them again on the output."""
    codes = {code for code, _ in ordered}
    children = {}
    for code, _ in ordered:
        parent = parent_of(code, codes)
        if parent is not None:
            if parent not in codes:
                fail(f"{code} has no parent {parent} in the table")
            children.setdefault(parent, []).append(code)
    for code, name in ordered:
        if code.endswith("0000") and code not in children:
            if (code, name) not in SUPPLEMENT_PROVINCES:
                fail(f"province {code} {name} has nothing below it")


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(ordered, stats, lock):
    provinces = sum(1 for c, _ in ordered if c.endswith("0000"))
    cities = sum(1 for c, _ in ordered if c.endswith("00") and not c.endswith("0000"))
    districts = len(ordered) - provinces - cities
    out = []
    w = out.append
    w("//! GB/T 2260 administrative regions: the embedded table. GENERATED, DO NOT EDIT.")
    w("//!")
    w("//! Regenerate with `python3 tools/regions/generate.py` (see tools/regions/README.md).")
    w("//!")
    w(f"//! Source package: npm `{lock['package']}` version {lock['version']}")
    w(f"//! License: {lock['license']}")
    w(f"//! Tarball sha256: {lock['sha256']}")
    w(f"//! Data: {lock['data']}")
    w("//!")
    w(f"//! Entries: {len(ordered)} = {provinces} provinces + {cities} cities + {districts} districts")
    w("//! (county level). Model: see `super` (mod.rs). Left out of the source data:")
    w(f"//! {len(stats['grouping_cities'])} grouping codes (市辖区, 县, 省直辖县级行政区划 …),")
    w(f"//! {len(stats['functional_zones_dropped'])} development zones (county part 71-80),")
    w(f"//! {len(stats['pseudo_counties_dropped'])} cities repeated as their own county:")
    w("//! " + ", ".join(stats["pseudo_counties_dropped"]) + ".")
    w("//! Added (province level only, no cities below them):")
    w("//! " + ", ".join(f"{c} {n}" for c, n in SUPPLEMENT_PROVINCES) + ".")
    w("")
    w("/// The npm package the table was generated from.")
    w(f"pub const SOURCE_PACKAGE: &str = {rust_str(lock['package'])};")
    w("/// Its exact version.")
    w(f"pub const SOURCE_VERSION: &str = {rust_str(lock['version'])};")
    w("/// The sha256 of the package tarball the table was generated from.")
    w(f"pub const SOURCE_SHA256: &str = {rust_str(lock['sha256'])};")
    w("")
    w("/// `(code, name)` for every region, sorted by code.")
    w(f"pub(super) static REGIONS: [(&str, &str); {len(ordered)}] = [")
    for code, name in ordered:
        w(f"    ({rust_str(code)}, {rust_str(name)}),")
    w("];")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tarball", type=Path, help="use this downloaded tarball (still verified)")
    parser.add_argument("--check", action="store_true", help="compare with data.rs, write nothing")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    lock = load_lock()
    with tempfile.TemporaryDirectory() as workdir:
        path = args.tarball or fetch_tarball(lock, workdir)
        data = path.read_bytes()
    verify(lock, data)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        ordered, stats = build(tar, lock)
    text = render(ordered, stats, lock)

    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            fail(f"{args.output} is out of date; run tools/regions/generate.py")
        print(f"{args.output}: up to date ({len(ordered)} entries)")
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {args.output}: {len(ordered)} entries")
    for key, items in stats.items():
        print(f"  {key}: {len(items)}")


if __name__ == "__main__":
    main()
