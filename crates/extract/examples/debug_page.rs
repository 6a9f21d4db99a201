//! Timing probe: how long html5ever parsing alone takes over a page set, beside a full
//! `inspect_page`, to see where page reading spends its time.
fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let pages: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let t = std::time::Instant::now();
    for p in &pages {
        let html = String::from_utf8_lossy(p);
        let _ = scraper::Html::parse_document(&html);
    }
    let parse = t.elapsed();
    let t = std::time::Instant::now();
    let mut head_only = 0;
    for p in &pages {
        let html = String::from_utf8_lossy(p);
        if let Some(end) = html.find("</head") {
            let _ = scraper::Html::parse_document(&html[..end]);
            head_only += 1;
        }
    }
    let head = t.elapsed();
    let t = std::time::Instant::now();
    for p in &pages {
        let _ = dossier_extract::inspect_page(p, None, None, chrono::Utc::now());
    }
    let full = t.elapsed();
    println!(
        "{} pages: full parse {:?}, head parse {:?} ({head_only}), inspect {:?}",
        pages.len(),
        parse,
        head,
        full
    );
}
