//! Probes for page reading. `debug_page FILE...` times html5ever's parse alone beside
//! `inspect_page` over a page set, to see where page reading spends its time;
//! `debug_page --explain FILE [URL]` prints each ladder rule's answer and what the scan
//! kept of the page, to see why a page got the date it got.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--explain") {
        let page = std::fs::read(&args[1]).expect("readable page");
        let url = args.get(2).map(String::as_str);
        print!(
            "{}",
            dossier_extract::page::explain_page(&page, url, chrono::Utc::now())
        );
        return;
    }
    let pages: Vec<Vec<u8>> = args.iter().map(|f| std::fs::read(f).unwrap()).collect();
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
        "{} pages: html5ever parse {:?}, inspect {:?}",
        pages.len(),
        parse,
        t.elapsed()
    );
}
