//! Commands for installing and running Seogo at a site: the air-gapped
//! bundle, the container healthcheck and the effective configuration.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use seogo_engine::{Engine, EngineConfig, VectorsConfig};
use seogo_index::QdrantConfig;

/// The configuration template a bundle carries (the embedded default,
/// with the served-generator section to uncomment).
const CONFIG_TEMPLATE: &str = include_str!("../../../docker/seogo.toml");

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Write one tar with this binary, the model pack, a config template,
    /// the widget and the demo corpus, plus `OUT.sha256`.
    Create {
        out: PathBuf,
        /// The binary to bundle (default: this one).
        #[arg(long)]
        binary: Option<PathBuf>,
        /// Documents to bundle as `demo/corpus` (default: ./demo/corpus
        /// when it exists).
        #[arg(long)]
        demo: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Check every file of a bundle against its manifest.
    Verify {
        bundle: PathBuf,
        /// The bundle's SHA-256 as the sender published it.
        #[arg(long)]
        sha256: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Verify a bundle and unpack it to `DIR/seogo` (nothing is left
    /// behind when it does not verify).
    Unpack {
        bundle: PathBuf,
        #[arg(long)]
        to: PathBuf,
        #[arg(long)]
        sha256: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn bundle(config: &EngineConfig, command: BundleCommand) -> anyhow::Result<ExitCode> {
    let (summary, json) = match command {
        BundleCommand::Create {
            out,
            binary,
            demo,
            json,
        } => {
            let models = &config.models.dir;
            anyhow::ensure!(
                models.join("MANIFEST.json").exists(),
                "no model pack in {} (run `seogo models install` first)",
                models.display()
            );
            let binary = match binary {
                Some(path) => path,
                None => std::env::current_exe().context("finding this binary")?,
            };
            let mut contents = seogo_bundle::Contents::default();
            contents.file("bin/seogo", &binary, true);
            contents.tree("models", models)?;
            contents.bytes("config/seogo.toml", CONFIG_TEMPLATE);
            contents.bytes("widget/widget.js", seogo_widget::SCRIPT);
            contents.bytes("INSTALL.txt", install_text());
            let demo = demo.or_else(|| {
                let default = PathBuf::from("demo/corpus");
                default.is_dir().then_some(default)
            });
            if let Some(demo) = demo {
                contents.tree("demo/corpus", &demo)?;
            }
            let summary = seogo_bundle::create(&contents, &out)?;
            if !json {
                println!(
                    "{}: {} files, {:.1} MB; sha256 {} (also in {}.sha256)",
                    out.display(),
                    summary.files,
                    summary.bytes as f64 / 1e6,
                    summary.sha256,
                    out.display()
                );
            }
            (summary, json)
        }
        BundleCommand::Verify {
            bundle,
            sha256,
            json,
        } => {
            let summary = seogo_bundle::verify(&bundle)?;
            check_published(&bundle, &summary, sha256.as_deref())?;
            if !json {
                println!(
                    "{}: verified, {} files, {:.1} MB, sha256 {}",
                    bundle.display(),
                    summary.files,
                    summary.bytes as f64 / 1e6,
                    summary.sha256
                );
            }
            (summary, json)
        }
        BundleCommand::Unpack {
            bundle,
            to,
            sha256,
            json,
        } => {
            let (summary, root) = seogo_bundle::unpack(&bundle, &to)?;
            if let Err(e) = check_published(&bundle, &summary, sha256.as_deref()) {
                std::fs::remove_dir_all(&root).ok();
                return Err(e);
            }
            if !json {
                println!(
                    "{}: verified and unpacked to {} ({} files); see {}",
                    bundle.display(),
                    root.display(),
                    summary.files,
                    root.join("INSTALL.txt").display()
                );
            }
            (summary, json)
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// The tar's own SHA-256 must equal the published one when given.
fn check_published(
    bundle: &Path,
    summary: &seogo_bundle::Summary,
    published: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(expected) = published {
        anyhow::ensure!(
            expected.trim().eq_ignore_ascii_case(&summary.sha256),
            "{}: refused: its SHA-256 is {}, not the published {expected}",
            bundle.display(),
            summary.sha256
        );
    }
    Ok(())
}

fn install_text() -> String {
    format!(
        "Seogo {version}: an air-gapped bundle\n\
         \n\
         1. Compare `sha256sum seogo.tar` with the number the sender published\n\
         \x20  (also in seogo.tar.sha256).\n\
         2. Take the binary out (in a scratch folder) and let it check and\n\
         \x20  unpack the rest:\n\
         \x20    cd \"$(mktemp -d)\" && tar xf /media/seogo.tar seogo/bin/seogo\n\
         \x20    seogo/bin/seogo bundle unpack /media/seogo.tar --to /opt --sha256 <published>\n\
         \x20  A bundle with any file changed, missing or added is refused and\n\
         \x20  nothing is unpacked.\n\
         3. From /opt/seogo: bin/seogo models verify\n\
         \x20                   bin/seogo ingest demo/corpus\n\
         \x20                   bin/seogo ask \"냉각수 펌프의 정기 점검 주기는?\"\n\
         \x20                   bin/seogo serve --bind 0.0.0.0:8080\n\
         \x20  config/seogo.toml is read with --config (or SEOGO_CONFIG); see\n\
         \x20  docs/DEPLOY.md for sizing, TLS, backups and upgrades.\n",
        version = env!("CARGO_PKG_VERSION")
    )
}

/// `seogo health`: exit 0 when the server at `bind` answers `/healthz`
/// with 200 (the image's HEALTHCHECK: the runtime image has no curl).
pub fn health(bind: SocketAddr, timeout: Duration) -> anyhow::Result<ExitCode> {
    let address = if bind.ip().is_unspecified() {
        SocketAddr::new(
            if bind.is_ipv4() {
                Ipv4Addr::LOCALHOST.into()
            } else {
                Ipv6Addr::LOCALHOST.into()
            },
            bind.port(),
        )
    } else {
        bind
    };
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to {address}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET /healthz HTTP/1.0\r\nHost: {address}\r\nUser-Agent: seogo-health\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut reply)?;
    let reply = String::from_utf8_lossy(&reply);
    let status = reply.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) == Some("200") {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("seogo: http://{address}/healthz: {status}");
        Ok(ExitCode::FAILURE)
    }
}

/// `seogo migrate`: the collection to (or from) the Qdrant at the given
/// address, with `[vectors]`'s Qdrant settings when it has them.
pub fn migrate(
    engine: &Engine,
    collection: &str,
    to: Option<String>,
    from: Option<String>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let remote = |address: &str| -> anyhow::Result<VectorsConfig> {
        let mut settings = match &engine.config().vectors {
            VectorsConfig::Qdrant(settings) => (**settings).clone(),
            VectorsConfig::Embedded { .. } => QdrantConfig::default(),
        };
        settings.url = grpc_url(address)?;
        Ok(VectorsConfig::Qdrant(Box::new(settings)))
    };
    let (source, target) = match (to, from) {
        (Some(to), None) => (VectorsConfig::default(), remote(&to)?),
        (None, Some(from)) => (remote(&from)?, VectorsConfig::default()),
        _ => anyhow::bail!("give one of --to or --from"),
    };
    let report = engine.migrate(collection, &source, &target)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}: {} documents, {} chunks copied and checked; {} in the source, {} in the target",
            report.collection,
            report.documents,
            report.copied,
            report.source_points,
            report.target_points
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `qdrant://host:6334` (or `qdrants://` for TLS, or an http(s) URL) as
/// the client's URL.
fn grpc_url(address: &str) -> anyhow::Result<String> {
    if let Some(rest) = address.strip_prefix("qdrant://") {
        Ok(format!("http://{rest}"))
    } else if let Some(rest) = address.strip_prefix("qdrants://") {
        Ok(format!("https://{rest}"))
    } else if address.starts_with("http://") || address.starts_with("https://") {
        Ok(address.to_string())
    } else {
        anyhow::bail!("`{address}`: give qdrant://host:6334, qdrants://… or an http(s) URL")
    }
}

/// `seogo backup OUT`: asks a running server for the snapshot (streamed to
/// a temporary file beside OUT, renamed when complete), or takes it directly when no
/// server holds the data directory.
pub fn backup(
    engine: &Engine,
    out: &Path,
    server: Option<&str>,
    api_key: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let report = match server {
        Some(server) => {
            let url = format!("{}/v1/admin/backup", server.trim_end_matches('/'));
            let mut response = server_response(&url, api_key, Some(serde_json::Value::Null))?;
            let mut file = seogo_durable::Staged::create(out)?;
            let bytes = std::io::copy(&mut response.body_mut().as_reader(), &mut file)
                .with_context(|| format!("receiving the backup from {url}"))?;
            file.commit("backup")?;
            serde_json::json!({ "out": out, "bytes": bytes, "server": server })
        }
        None => {
            let report = engine.backup(out).context(
                "taking the backup (with `seogo serve` running, pass --server and an admin key)",
            )?;
            serde_json::json!({ "out": out, "report": report })
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("backup written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `seogo reindex`: asks a running server to do it as a job and follows
/// the job to its end, or does it directly when no server holds the data
/// directory.
pub fn reindex(
    engine: &Engine,
    collection: &str,
    server: Option<&str>,
    api_key: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let report = match server {
        Some(server) => {
            let job = server_call(
                server,
                api_key,
                "/v1/admin/reindex",
                Some(serde_json::json!({ "collection": collection })),
            )?;
            let id = job["job_id"].as_str().context("no job_id in the reply")?;
            loop {
                let state = server_call(server, api_key, &format!("/v1/jobs/{id}"), None)?;
                match state["state"].as_str() {
                    Some("running") => std::thread::sleep(Duration::from_secs(1)),
                    Some("done") => break serde_json::from_value(state["report"].clone())?,
                    _ => anyhow::bail!(
                        "the reindex failed: {}",
                        state["error"].as_str().unwrap_or("no reason given")
                    ),
                }
            }
        }
        None => {
            let mut reported = 0;
            engine
                .reindex(collection, &mut |done| {
                    if done >= reported + 256 {
                        eprintln!("re-embedded {done} chunks");
                        reported = done;
                    }
                })
                .context(
                    "reindexing (with `seogo serve` running, pass --server and an admin key)",
                )?
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{}: {} chunks re-embedded with {} (was {}) in {:.1} s",
            report.collection, report.chunks, report.to, report.from, report.seconds
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A JSON call to the server's API (POST with a body, GET without).
fn server_call(
    server: &str,
    api_key: Option<&str>,
    path: &str,
    body: Option<serde_json::Value>,
) -> anyhow::Result<serde_json::Value> {
    let url = format!("{}{path}", server.trim_end_matches('/'));
    server_response(&url, api_key, body)?
        .body_mut()
        .read_json()
        .with_context(|| format!("{url}: not JSON"))
}

/// A call to the server's API (POST with a body, `Null` for an empty one;
/// GET without). An error status becomes an error carrying the server's
/// code and message, not ureq's bare "http status: 403".
fn server_response(
    url: &str,
    api_key: Option<&str>,
    body: Option<serde_json::Value>,
) -> anyhow::Result<ureq::http::Response<ureq::Body>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = api_key.map(|key| format!("Bearer {key}"));
    let result = match body {
        Some(body) => {
            let mut request = agent.post(url);
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth);
            }
            if body.is_null() {
                request.send_empty()
            } else {
                request.send_json(&body)
            }
        }
        None => {
            let mut request = agent.get(url);
            if let Some(auth) = &auth {
                request = request.header("Authorization", auth);
            }
            request.call()
        }
    };
    let mut response = result.with_context(|| url.to_string())?;
    let status = response.status().as_u16();
    if status >= 400 {
        let reply: serde_json::Value = response.body_mut().read_json().unwrap_or_default();
        anyhow::bail!(
            "{url}: the server answered {status} {}: {}",
            reply["error"]["code"].as_str().unwrap_or("(no code)"),
            reply["error"]["message"].as_str().unwrap_or("(no message)")
        );
    }
    Ok(response)
}

/// `seogo restore IN`: unpacks into the configured data directory.
pub fn restore(backup: &Path, data_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let report = seogo_engine::backup::restore(backup, data_dir)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "restored {} files ({} collections: {}) into {}",
            report.files,
            report.collections.len(),
            report.collections.join(", "),
            report.data_dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `seogo config`: the configuration in effect after every layer, as JSON
/// (an unknown key in seogo.toml or `SEOGO__…` fails before this), with
/// secrets masked: the output gets pasted into support tickets.
pub fn print(config: &crate::config::SiteConfig) -> anyhow::Result<ExitCode> {
    let masked = seogo_engine::config::masked_json(config);
    println!("{}", serde_json::to_string_pretty(&masked)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qdrant_addresses_become_grpc_urls() {
        assert_eq!(grpc_url("qdrant://q1:6334").expect("url"), "http://q1:6334");
        assert_eq!(
            grpc_url("qdrants://q1:6334").expect("url"),
            "https://q1:6334"
        );
        assert_eq!(grpc_url("https://q1").expect("url"), "https://q1");
        assert!(grpc_url("q1:6334").is_err());
    }

    #[test]
    fn the_bundled_config_template_is_a_valid_configuration() {
        let config: crate::config::SiteConfig = figment::Figment::from(
            figment::providers::Serialized::defaults(crate::config::SiteConfig::default()),
        )
        .merge(<figment::providers::Toml as figment::providers::Format>::string(CONFIG_TEMPLATE))
        .extract()
        .expect("docker/seogo.toml");
        assert_eq!(config.server.anonymous, Some(false));
    }
}
