//! The access log, as admins and integrators read it: pages of scans with filters, scans per
//! time bucket, the offline duplicates to review. Written only by [`crate::check_in`].

pub use gatehouse_db::access_logs::{
    count, entries_per_bucket, find, offline_duplicates, page, page_before, LogFilter, LogKey,
    Source, StoredScan,
};
