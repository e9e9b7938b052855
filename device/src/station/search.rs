//! Search by name, organisation or registration code over the participants the device has
//! cached, and the kiosk's "find me by name and date of birth".
//!
//! The store indexes participants by id and by code only; a search by name needs case- and
//! accent-insensitive word-prefix matching in well under 50 ms at 100,000 people, so this module
//! keeps a folded copy of the store's [directory](gatehouse_sync::Store::directory) in memory and
//! rebuilds it when the directory's version (feed cursor, participant count) moves.
//!
//! Ranking, best first: the exact registration code, the exact name, a name that starts with the
//! query, every query word starting a word of the name, then of the name or organisation, then
//! the start of a code; ties by name. A kiosk's find lists only name matches whose birth check
//! agrees with the date typed: a name alone shows nobody, nor does someone whose date of birth
//! the server does not know.

use gatehouse_core::{birth_check, ParticipantId, ParticipantStatus};
use gatehouse_sync::cache::DirectoryEntry;
use gatehouse_sync::Store;
use unicode_normalization::UnicodeNormalization;

use super::{lock, Station, StationError};

/// Most people a search lists.
pub const MAX_SHOWN: usize = 200;
/// Most people a kiosk's name and date of birth search lists.
pub const KIOSK_FIND_SHOWN: usize = 20;
/// The shortest name a kiosk searches for.
const KIOSK_FIND_MIN_CHARS: usize = 2;

/// One participant as a search list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub id: ParticipantId,
    pub name: String,
    pub category: String,
    pub organisation: Option<String>,
    pub registration_code: String,
    pub status: ParticipantStatus,
}

#[derive(Debug, Clone)]
struct Entry {
    hit: SearchHit,
    name: String,
    name_words: Vec<String>,
    org_words: Vec<String>,
    code: String,
    /// The participant's birth check from the feed, for "find me by name and date of birth".
    birth_check: Option<String>,
}

/// Lower case, accents dropped, punctuation as spaces: "Zoë O'Brien" → "zoe o brien".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_owned()
}

fn words(folded: &str) -> Vec<String> {
    folded
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Code text as compared: letters and digits only, upper case.
fn code_key(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The in-memory search index and the store state it was built from.
#[derive(Debug, Default)]
pub struct SearchIndex {
    built_for: Option<(i64, u64)>,
    entries: Vec<Entry>,
}

impl SearchIndex {
    /// Rebuilds from the store's directory when it has moved since the last build.
    pub fn refresh(&mut self, store: &Store) -> Result<(), gatehouse_sync::StoreError> {
        let version = store.directory_version()?;
        if self.built_for == Some(version) {
            return Ok(());
        }
        let entries = store.directory()?;
        self.set_with_birth_checks(entries.into_iter().map(hit_of).collect());
        self.built_for = Some(version);
        Ok(())
    }

    /// Replaces the whole index, without birth checks.
    #[cfg(test)]
    pub fn set(&mut self, hits: Vec<SearchHit>) {
        self.set_with_birth_checks(hits.into_iter().map(|h| (h, None)).collect());
    }

    fn set_with_birth_checks(&mut self, hits: Vec<(SearchHit, Option<String>)>) {
        self.entries = hits
            .into_iter()
            .map(|(hit, birth_check)| {
                let name = fold(&hit.name);
                Entry {
                    name_words: words(&name),
                    org_words: words(&fold(hit.organisation.as_deref().unwrap_or(""))),
                    code: code_key(&hit.registration_code),
                    name,
                    hit,
                    birth_check,
                }
            })
            .collect();
    }

    /// Best matches first, at most `limit`. Every word of the query must start a word of the
    /// name or the organisation; a registration code (or its start) matches by itself.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        self.ranked(query, |_| true, limit)
    }

    /// The matches of [`search`](Self::search) whose birth check agrees with `date_of_birth`
    /// (ISO), best first, at most `limit`: every name match is checked, however common the name.
    /// A participant without a birth check never matches.
    pub fn search_born(&self, query: &str, date_of_birth: &str, limit: usize) -> Vec<SearchHit> {
        self.ranked(
            query,
            |e| {
                let Some(check) = &e.birth_check else {
                    return false;
                };
                birth_check(e.hit.id, date_of_birth).as_deref() == Some(check.as_str())
            },
            limit,
        )
    }

    fn ranked(&self, query: &str, keep: impl Fn(&Entry) -> bool, limit: usize) -> Vec<SearchHit> {
        let folded = fold(query);
        let terms = words(&folded);
        let code = code_key(query);
        if terms.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(u8, &Entry)> = self
            .entries
            .iter()
            .filter_map(|e| Self::score(e, &folded, &terms, &code).map(|s| (s, e)))
            .filter(|(_, e)| keep(e))
            .collect();
        scored.sort_by(|(sa, a), (sb, b)| sa.cmp(sb).then_with(|| a.name.cmp(&b.name)));
        scored
            .into_iter()
            .take(limit)
            .map(|(_, e)| e.hit.clone())
            .collect()
    }

    /// Lower is better; `None` is no match.
    fn score(e: &Entry, folded: &str, terms: &[String], code: &str) -> Option<u8> {
        if code.len() >= 4 && e.code == code {
            return Some(0);
        }
        if e.name == folded {
            return Some(1);
        }
        if e.name.starts_with(folded) {
            return Some(2);
        }
        let in_name = terms
            .iter()
            .all(|t| e.name_words.iter().any(|w| w.starts_with(t.as_str())));
        if in_name {
            return Some(3);
        }
        let anywhere = terms.iter().all(|t| {
            e.name_words
                .iter()
                .chain(e.org_words.iter())
                .any(|w| w.starts_with(t.as_str()))
        });
        if anywhere {
            return Some(4);
        }
        if code.len() >= 4 && e.code.starts_with(code) {
            return Some(5);
        }
        None
    }
}

/// A directory entry as a search hit, with its birth check.
fn hit_of(entry: DirectoryEntry) -> (SearchHit, Option<String>) {
    let hit = SearchHit {
        id: entry.id,
        name: entry.full_name,
        category: entry.category,
        organisation: entry.organisation,
        registration_code: entry.registration_code,
        status: entry.status,
    };
    (hit, entry.birth_check)
}

impl Station {
    /// Participants by name, organisation or code from the device cache, best first, at most
    /// `limit` (and never more than [`MAX_SHOWN`]).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>, StationError> {
        Ok(self.search_index()?.search(query, limit.min(MAX_SHOWN)))
    }

    /// The attendee finds themselves by name and date of birth: the name search's best matches
    /// whose [`birth_check`] agrees with the date typed (ISO, `1990-04-25`). A name alone
    /// lists nobody (a kiosk must not show who is registered), nor does a participant whose date
    /// of birth the server does not know: the kiosk then sends the attendee to the help desk.
    pub fn kiosk_find(
        &self,
        name: &str,
        date_of_birth: &str,
    ) -> Result<Vec<SearchHit>, StationError> {
        let dob = date_of_birth.trim();
        if !gatehouse_core::is_iso_date(dob) {
            return Err(StationError::BadDateOfBirth(dob.to_owned()));
        }
        if name.trim().chars().count() < KIOSK_FIND_MIN_CHARS {
            return Ok(Vec::new());
        }
        Ok(self
            .search_index()?
            .search_born(name, dob, KIOSK_FIND_SHOWN))
    }

    /// The search index, brought up to date with the device cache.
    fn search_index(&self) -> Result<std::sync::MutexGuard<'_, SearchIndex>, StationError> {
        let post = self.post();
        let store = post.scanner()?.store();
        let mut index = lock(&self.search);
        index.refresh(store)?;
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: u128, name: &str, org: Option<&str>, code: &str) -> SearchHit {
        SearchHit {
            id: ParticipantId(uuid::Uuid::from_u128(id)),
            name: name.into(),
            category: "delegate".into(),
            organisation: org.map(str::to_owned),
            registration_code: code.into(),
            status: ParticipantStatus::Approved,
        }
    }

    fn index() -> SearchIndex {
        let mut index = SearchIndex::default();
        index.set(vec![
            person(1, "Zoë Ndlovu", Some("Ministry of Health"), "ABCD-2345"),
            person(2, "Zola Mbeki", None, "EFGH-6789"),
            person(3, "Amina Zoellner", Some("Red Crescent"), "JKLM-2468"),
            person(4, "Élodie Martin", Some("Zoetis"), "NPQR-1357"),
        ]);
        index
    }

    fn ids(hits: &[SearchHit]) -> Vec<u128> {
        hits.iter().map(|h| h.id.0.as_u128()).collect()
    }

    #[test]
    fn accents_and_case_do_not_matter() {
        assert_eq!(ids(&index().search("zoe ndlovu", 10)), [1]);
        assert_eq!(ids(&index().search("ELODIE", 10)), [4]);
    }

    #[test]
    fn a_name_start_ranks_before_a_later_word_and_an_organisation() {
        assert_eq!(ids(&index().search("zo", 10)), [1, 2, 3, 4]);
    }

    #[test]
    fn every_word_of_the_query_must_match() {
        assert_eq!(ids(&index().search("amina zoe", 10)), [3]);
        assert!(index().search("amina ndlovu", 10).is_empty());
    }

    #[test]
    fn a_registration_code_finds_its_holder_with_or_without_the_dash() {
        assert_eq!(ids(&index().search("efgh6789", 10)), [2]);
        assert_eq!(ids(&index().search("JKLM-2468", 10)), [3]);
    }

    #[test]
    fn the_limit_caps_the_list_and_an_empty_query_finds_nobody() {
        assert_eq!(index().search("zo", 2).len(), 2);
        assert!(index().search("  - ", 10).is_empty());
    }

    #[test]
    fn organisation_words_match() {
        assert_eq!(ids(&index().search("red cres", 10)), [3]);
    }
}
