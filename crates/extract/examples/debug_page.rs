//! Timing probe: html5ever parsing alone over a page set, beside `inspect_page`, to see
//! where page reading spends its time.
fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    let pages: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let t = std::time::Instant::now();
    for p in &pages {
        let _ = scraper::Html::parse_document(&String::from_utf8_lossy(p));
    }
    let parse = t.elapsed();
    let t = std::time::Instant::now();
    for p in &pages {
        let _ = dossier_extract::inspect_page(p, None, None, chrono::Utc::now());
    }
    println!(
        "{} pages: parse {:?}, inspect {:?}",
        pages.len(),
        parse,
        t.elapsed()
    );
}
