fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let html = String::from_utf8_lossy(&bytes);
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("div.date").unwrap();
    for el in doc.select(&sel) {
        let chain: Vec<String> = el
            .ancestors()
            .filter_map(scraper::ElementRef::wrap)
            .take(8)
            .map(|a| {
                format!(
                    "{}.{}",
                    a.value().name(),
                    a.value().attr("class").unwrap_or("")
                )
            })
            .collect();
        println!("{:?}", chain);
    }
}
