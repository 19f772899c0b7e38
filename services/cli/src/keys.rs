//! `seogo keys`: API keys for `seogo serve`, stored hashed in
//! `server.keys_file`. A key is printed once, when it is created.

use std::process::ExitCode;

use clap::Subcommand;
use seogo_engine::Engine;
use seogo_server::{KeyStore, Role, ServerConfig};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (the only time it is shown).
    Create {
        /// Who or what holds it, e.g. "intranet widget".
        #[arg(long)]
        name: String,
        /// query (search, ask), ingest (also documents) or admin.
        #[arg(long, default_value = "query")]
        role: Role,
        /// Collections it may use (comma-separated; all when omitted).
        #[arg(long, value_delimiter = ',')]
        collections: Vec<String>,
        /// Its groups: it reads documents whose ACL names one of these,
        /// and public ones.
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// List keys (ids, names, roles, scopes; never the secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id (a running server refuses it from its next
    /// request).
    Revoke { id: String },
}

pub fn run(
    engine: &Engine,
    server: &ServerConfig,
    action: KeysCommand,
) -> anyhow::Result<ExitCode> {
    let path = server.keys_file(&engine.config().data.dir);
    let mut store = KeyStore::load(&path)?;
    match action {
        KeysCommand::Create {
            name,
            role,
            collections,
            groups,
            json,
        } => {
            let (record, key) = store.create(&name, role, collections, groups)?;
            store.save(&path)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"key": key, "id": record.id, "role": record.role.name()})
                );
            } else {
                println!("{key}");
                eprintln!(
                    "seogo: key {} ({}) saved to {}; it is not shown again",
                    record.id,
                    record.role.name(),
                    path.display()
                );
            }
        }
        KeysCommand::List { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(&store.keys)?);
            } else {
                let listed = |items: &[String], none: &str| {
                    if items.is_empty() {
                        none.to_string()
                    } else {
                        items.join(",")
                    }
                };
                for k in &store.keys {
                    println!(
                        "{}  {:<7}  collections: {:<20}  groups: {:<20}  {}",
                        k.id,
                        k.role.name(),
                        listed(&k.collections, "all"),
                        listed(&k.groups, "public only"),
                        k.name
                    );
                }
            }
        }
        KeysCommand::Revoke { id } => {
            let record = store.revoke(&id)?;
            store.save(&path)?;
            eprintln!("seogo: revoked key {} ({})", record.id, record.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
