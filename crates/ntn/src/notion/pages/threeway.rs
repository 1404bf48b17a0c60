//! Three-way view (stub: replaced by the real one when merged).

pub struct Merge {
    pub clean: Option<String>,
    pub conflicts: usize,
}

pub fn merge(_base: &str, _mine: &str, _theirs: &str) -> Merge {
    Merge {
        clean: None,
        conflicts: 0,
    }
}

pub fn render(_m: &Merge, _labels: (&str, &str)) -> String {
    String::new()
}
