//! Operations: import-roster, restarts keep acknowledged writes, plain HTTP only on loopback.

use std::io::Write;

use server::app::{Application, Dependencies, Settings, StartError};
use tests::{
    on_both_backends, spawn_with, test_today, with_wrong_check, Backend, ClockExt, Options, Person,
    TestApp, PASSWORD,
};

on_both_backends!(import_roster_loads_good_rows_and_reports_bad_ones);

fn png_bytes() -> Vec<u8> {
    let img = image::RgbImage::from_fn(8, 8, |x, y| {
        image::Rgb([(x * 30) as u8, (y * 30) as u8, 128])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn import_roster_loads_good_rows_and_reports_bad_ones(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("face.png"), png_bytes()).unwrap();
    std::fs::write(dir.path().join("fake.jpg"), b"this is not a jpeg").unwrap();
    let good1 = Person::new(1);
    let good2 = Person::new(2);
    let rows = [
        "name,id_number,phones,category,district,reference_photo".to_owned(),
        format!(
            "{},{},{};{},自主择业军转干部,110101,face.png",
            good1.name, good1.id_number, good1.phones[0], good1.phones[1]
        ), // line 2
        format!(
            "{},{},{},优抚对象,210211,",
            good2.name, good2.id_number, good2.phones[0]
        ), // line 3
        format!(
            "张三,{},13800000100,军休干部,110101,",
            with_wrong_check(&tests::id_number(3))
        ), // line 4: check digit
        format!("李四,{},13800000101,炊事员,110101,", tests::id_number(4)), // line 5: category
        format!("王五,{},13800000102,军休干部,999999,", tests::id_number(5)), // line 6: unknown region
        format!("赵六,{},138000,军休干部,110101,", tests::id_number(6)),      // line 7: phone
        format!(
            "钱七,{},13800000103,军休干部,110101,missing.png",
            tests::id_number(7)
        ), // line 8: no such photo
        format!(
            "孙八,{},13800000104,军休干部,110101,fake.jpg",
            tests::id_number(8)
        ), // line 9: not an image
        format!(
            "{},{},{},自主择业军转干部,110101,",
            good1.name, good1.id_number, good1.phones[0]
        ), // line 10: duplicate
        format!("周九,{},,无军籍退休职工,110101,", tests::id_number(9)),      // line 11: no phone
    ];
    let csv_path = dir.path().join("roster.csv");
    let mut f = std::fs::File::create(&csv_path).unwrap();
    writeln!(f, "{}", rows.join("\n")).unwrap();
    drop(f);

    let data_dir = tempfile::tempdir().unwrap();
    let report = server::roster::import(
        &app.store,
        data_dir.path(),
        &csv_path,
        test_today(),
        app.clock.now_unix(),
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 2, "{report}");
    let by_line: Vec<(u64, Vec<String>)> = report
        .rejected
        .iter()
        .map(|r| {
            (
                r.line,
                r.errors
                    .iter()
                    .map(|e| format!("{}:{}", e.field, e.code))
                    .collect(),
            )
        })
        .collect();
    let region_code = shared::region::RegionCode::parse("999999")
        .map(|_| ())
        .unwrap_err();
    let expected: Vec<(u64, Vec<String>)> = vec![
        (4, vec!["id_number:id_number_checksum".into()]),
        (
            5,
            vec![format!(
                "category:{}",
                shared::error::UserError::code(
                    &shared::category::Category::parse("炊事员").unwrap_err()
                )
            )],
        ),
        (
            6,
            vec![format!(
                "district:{}",
                shared::error::UserError::code(&region_code)
            )],
        ),
        (
            7,
            vec![format!(
                "phones[0]:{}",
                shared::error::UserError::code(
                    &shared::phone::MobilePhone::parse("138000").unwrap_err()
                )
            )],
        ),
        (8, vec!["reference_photo:photo_unreadable".into()]),
        (9, vec!["reference_photo:photo_format".into()]),
        (10, vec!["id_number:duplicate_in_file".into()]),
        (11, vec!["phones:phones_empty".into()]),
    ];
    assert_eq!(by_line, expected, "{report}");
    let printed = report.to_string();
    assert!(printed.contains("line 4:"), "{printed}");
    assert!(
        !printed.contains(&tests::id_number(4)),
        "the report must not print ID numbers"
    );
    // The photo was stored, content-addressed.
    let stored: Vec<_> = std::fs::read_dir(data_dir.path().join("reference-photos"))
        .unwrap()
        .collect();
    assert_eq!(stored.len(), 1);

    // Imported people can register; the second phone is on the roster too.
    app.register_enrolled(&good1).await;
    assert_eq!(app.login(good1.phone(), PASSWORD).await.status, 200);
    let mut g2 = good2.clone();
    g2.phones.truncate(1);
    app.register_enrolled(&g2).await;
    let token = app.token(g2.phone(), PASSWORD).await;
    let me = app.get("/api/v1/me", Some(&token)).await.json();
    assert_eq!(me["category"], "entitled_group");
    assert_eq!(me["districts"][0]["code"], "210211");

    // Importing again updates rather than duplicates.
    let report = server::roster::import(
        &app.store,
        data_dir.path(),
        &csv_path,
        test_today(),
        app.clock.now_unix(),
    )
    .await
    .unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(app.store.roster_count().await.unwrap(), 2);
}

/// A bad header is refused as a whole.
#[tokio::test]
async fn import_roster_refuses_a_wrong_header() {
    let app = spawn_with(Options::new(Backend::Sqlite)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("roster.csv");
    std::fs::write(&csv_path, "name,id,phones\n张三,1,2\n").unwrap();
    let err = server::roster::import(&app.store, dir.path(), &csv_path, test_today(), 0)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("id_number") && text.contains("category"),
        "{text}"
    );
    app.stop().await;
}

/// What a client was told was saved is still there after the server stops and starts again on
/// the same data directory.
#[tokio::test]
async fn acknowledged_writes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        data_dir: Some(dir.path().to_path_buf()),
        ..Options::new(Backend::Sqlite)
    };
    let app = spawn_with(opts.clone()).await.unwrap();
    let p = Person::new(1);
    let user_id = app.register(&p).await;
    let token = app.token(p.phone(), PASSWORD).await;
    app.stop().await;

    let again = spawn_with(Options {
        clock: Some(app.clock.clone()),
        ..opts
    })
    .await
    .unwrap();
    let me = again.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json()["id"], user_id.as_str());
    assert_eq!(again.login(p.phone(), PASSWORD).await.status, 200);
    again.stop().await;
}

/// Plain HTTP is refused on a non-loopback address.
#[tokio::test]
async fn plain_http_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        listen: "0.0.0.0:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        hash_cost: tests::TEST_HASH_COST,
        ..Settings::default()
    };
    match Application::build(settings, Dependencies::default()).await {
        Err(StartError::PlainHttpNotLoopback(_)) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("plain HTTP on 0.0.0.0 must be refused"),
    }
    let ok = Settings {
        listen: "[::1]:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        hash_cost: tests::TEST_HASH_COST,
        ..Settings::default()
    };
    // IPv6 loopback is fine (if the machine has it).
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        assert!(Application::build(ok, Dependencies::default())
            .await
            .is_ok());
    }
}
