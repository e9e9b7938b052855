//! What every handler can reach: the domain (its services, and the queries each aggregate
//! re-exports) and the server's configuration.

use gatehouse_domain::{Db, Domain};

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    domain: Domain,
    config: std::sync::Arc<Config>,
}

impl AppState {
    pub fn new(domain: Domain, config: Config) -> Self {
        AppState {
            domain,
            config: std::sync::Arc::new(config),
        }
    }

    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The database, for the domain's read-only queries.
    pub fn db(&self) -> &Db {
        self.domain.db()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
}
