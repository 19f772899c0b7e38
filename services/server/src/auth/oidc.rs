//! OIDC bearer tokens: signature by a key of the provider's JWKS (picked by
//! `kid`), issuer, audience, expiry; the groups claim becomes the caller's
//! principals. Only asymmetric algorithms are accepted, and only the one a
//! key declares: a token cannot choose `none` or turn a public key into an
//! HMAC secret.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use seogo_engine::config::OidcConfig;
use serde_json::Value;

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

pub struct Oidc {
    config: OidcConfig,
    keys: Vec<Key>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer)
            .field("keys", &self.keys.len())
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
    /// Keys from `jwks` (the provider's JWKS document). Symmetric and
    /// unusable keys are skipped; none left is an error.
    pub fn new(config: OidcConfig, jwks: &str) -> Result<Self, JwksError> {
        if config.issuer.is_empty() || config.audience.is_empty() {
            return Err(JwksError("server.oidc needs issuer and audience".into()));
        }
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
        Ok(Self { config, keys })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    pub fn verify(&self, token: &str) -> Result<Identity, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        let key = self
            .keys
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
