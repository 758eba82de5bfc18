//! One page of a list as the pages show it (User Management, the audit
//! log, API keys): its rows, which page it is and how many there are. The
//! HTTP API walks its lists with a cursor instead (`server/src/api/page.rs`).
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// 1-based, within `1..=pages`.
    pub page: u64,
    /// At least 1, even with no rows.
    pub pages: u64,
    /// Rows on all pages.
    pub total: u64,
}

/// The page to show for `asked` (out of range: the nearest) and how many
/// pages `total` rows make at `size` a page (at least one).
pub fn bounds(total: u64, size: u64, asked: u64) -> (u64, u64) {
    let pages = total.div_ceil(size.max(1)).max(1);
    (asked.clamp(1, pages), pages)
}

/// The page an address asks for (`?page=`): anything but a number is the
/// first; the list clamps the rest.
pub fn number(text: Option<String>) -> u64 {
    text.and_then(|t| t.parse().ok()).unwrap_or(1)
}

impl<T> Page<T> {
    /// The number of the page before this one, if any.
    pub fn previous(&self) -> Option<u64> {
        (self.page > 1).then(|| self.page - 1)
    }

    /// The number of the page after this one, if any.
    pub fn next(&self) -> Option<u64> {
        (self.page < self.pages).then(|| self.page + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{Page, bounds, number};

    fn page(page: u64, pages: u64) -> Page<()> {
        Page {
            rows: Vec::new(),
            page,
            pages,
            total: 0,
        }
    }

    #[test]
    fn bounds_count_pages_and_clamp_the_asked_page() {
        assert_eq!(bounds(0, 20, 1), (1, 1), "an empty list has one page");
        assert_eq!(bounds(20, 20, 1), (1, 1));
        assert_eq!(bounds(21, 20, 2), (2, 2));
        assert_eq!(bounds(24, 20, 0), (1, 2), "page 0 is the first");
        assert_eq!(bounds(24, 20, 99), (2, 2), "past the end is the last");
        assert_eq!(bounds(5, 0, 1), (1, 5), "a size of 0 counts as 1");
    }

    #[test]
    fn an_address_asks_for_a_page_number_or_the_first() {
        assert_eq!(number(Some("3".into())), 3);
        assert_eq!(number(Some("three".into())), 1);
        assert_eq!(number(None), 1);
    }

    #[test]
    fn previous_and_next_stay_within_the_pages() {
        assert_eq!((page(1, 1).previous(), page(1, 1).next()), (None, None));
        assert_eq!((page(1, 3).previous(), page(1, 3).next()), (None, Some(2)));
        assert_eq!((page(3, 3).previous(), page(3, 3).next()), (Some(2), None));
    }
}
