//! OIDC bearer tokens: signature by a key of the provider's JWKS (picked by
//! `kid`), issuer, audience, expiry; the groups claim becomes the caller's
//! principals. Only asymmetric algorithms are accepted, and only the one a
//! key declares: a token cannot choose `none` or turn a public key into an
//! HMAC secret.

use crate::config::OidcConfig;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Why a token was refused (said to the caller: it names no secret).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed: {0}")]
    Malformed(String),
    #[error("the token is signed with a key the server does not know")]
    UnknownKey,
    #[error("the token was refused: {0}")]
    Invalid(String),
}

/// Failures reading the provider's keys at start.
#[derive(Debug, thiserror::Error)]
#[error("OIDC keys: {0}")]
pub struct JwksError(pub String);

/// A verified token's subject and groups.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub groups: Vec<String>,
}

struct Key {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Reads the provider's JWKS document again (its file or its URL).
pub type JwksSource = Box<dyn Fn() -> Result<String, JwksError> + Send + Sync>;

/// A provider rotates keys by publishing a new one and signing with it; an
/// unknown `kid` makes the server read the JWKS again, at most this often,
/// so forged kids cannot turn into a flood of fetches.
const REFRESH_INTERVAL: Duration = Duration::from_secs(60);

pub struct Oidc {
    config: OidcConfig,
    keys: RwLock<Arc<Vec<Key>>>,
    source: JwksSource,
    /// When the JWKS was last read again; `None` until the first time.
    refreshed: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer)
            .field("keys", &self.current().len())
            .finish()
    }
}

/// The algorithm a key is for: the one it declares, else the family's
/// usual one.
fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    use jsonwebtoken::jwk::{EllipticCurve, KeyAlgorithm};
    if let Some(alg) = jwk.common.key_algorithm {
        return match alg {
            KeyAlgorithm::RS256 => Some(Algorithm::RS256),
            KeyAlgorithm::RS384 => Some(Algorithm::RS384),
            KeyAlgorithm::RS512 => Some(Algorithm::RS512),
            KeyAlgorithm::PS256 => Some(Algorithm::PS256),
            KeyAlgorithm::PS384 => Some(Algorithm::PS384),
            KeyAlgorithm::PS512 => Some(Algorithm::PS512),
            KeyAlgorithm::ES256 => Some(Algorithm::ES256),
            KeyAlgorithm::ES384 => Some(Algorithm::ES384),
            KeyAlgorithm::EdDSA => Some(Algorithm::EdDSA),
            _ => None,
        };
    }
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        AlgorithmParameters::OctetKeyPair(_) => Some(Algorithm::EdDSA),
        AlgorithmParameters::OctetKey(_) => None,
    }
}

impl Oidc {
    /// Keys from `source` (the provider's JWKS document), read now and
    /// again when a token names a key not among them.
    pub fn new(config: OidcConfig, source: JwksSource) -> Result<Self, JwksError> {
        if config.issuer.is_empty() || config.audience.is_empty() {
            return Err(JwksError("server.oidc needs issuer and audience".into()));
        }
        let keys = parse_keys(&source()?)?;
        Ok(Self {
            config,
            keys: RwLock::new(Arc::new(keys)),
            source,
            refreshed: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    fn current(&self) -> Arc<Vec<Key>> {
        match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the JWKS again unless that was done less than
    /// [`REFRESH_INTERVAL`] ago; true when new keys were installed.
    fn refresh(&self) -> bool {
        {
            let Ok(mut refreshed) = self.refreshed.lock() else {
                return false;
            };
            if refreshed.is_some_and(|at| at.elapsed() < REFRESH_INTERVAL) {
                return false;
            }
            *refreshed = Some(Instant::now());
        }
        match (self.source)().and_then(|jwks| parse_keys(&jwks)) {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "OIDC keys read again");
                if let Ok(mut current) = self.keys.write() {
                    *current = Arc::new(keys);
                }
                true
            }
            Err(e) => {
                // The keys already held stay in use.
                tracing::warn!(error = %e, "OIDC keys could not be read again");
                false
            }
        }
    }

    pub fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        match self.verify_with(&self.current(), &header, token) {
            Err(TokenError::UnknownKey) if self.refresh() => {
                self.verify_with(&self.current(), &header, token)
            }
            outcome => outcome,
        }
    }

    fn verify_with(
        &self,
        keys: &[Key],
        header: &jsonwebtoken::Header,
        token: &str,
    ) -> Result<Identity, TokenError> {
        let key = keys
            .iter()
            .find(|k| match (&header.kid, &k.kid) {
                (Some(wanted), Some(kid)) => wanted == kid,
                (None, _) => k.algorithm == header.alg,
                (Some(_), None) => false,
            })
            .ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = self.config.leeway_secs;
        validation.validate_nbf = true;
        let data =
            jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key.key, &validation)
                .map_err(|e| TokenError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let groups = match claims.get(self.config.groups_claim()) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        Ok(Identity { subject, groups })
    }
}

/// The usable keys of a JWKS document: symmetric and unknown kinds are
/// skipped; none left is an error.
fn parse_keys(jwks: &str) -> Result<Vec<Key>, JwksError> {
    let set: JwkSet =
        serde_json::from_str(jwks).map_err(|e| JwksError(format!("not a JWKS: {e}")))?;
    let keys: Vec<Key> = set
        .keys
        .iter()
        .filter_map(|jwk| {
            let algorithm = algorithm_of(jwk)?;
            let key = DecodingKey::from_jwk(jwk).ok()?;
            Some(Key {
                kid: jwk.common.key_id.clone(),
                algorithm,
                key,
            })
        })
        .collect();
    if keys.is_empty() {
        return Err(JwksError("no usable signing key (RSA, EC or OKP)".into()));
    }
    Ok(keys)
}
