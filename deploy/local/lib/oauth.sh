# OAUTHBEARER for the Kafka SASL_SSL listener: a stand-in for an identity
# provider, made with openssl. Sourced by deploy/local/stack after tls.sh;
# not a part by itself: kafka.sh calls oauth_keys before the broker starts.
#
#   oauth_keys        an RSA signing key and its public JWKS file, once
#   oauth_mint [--ttl SECONDS] [--sub NAME] [--key PEM] [--out FILE]
#                     a signed RS256 JWT (stdout, or FILE replaced atomically)
#
# The broker validates tokens with Kafka's OAuthBearerValidatorCallbackHandler
# against the JWKS file (a file: URL, KIP-768), the issuer and the audience
# below; the principal is the token's `sub` (default: the SCRAM user rowkube,
# which already holds the prefixed ACLs). Real identity providers (Keycloak,
# Entra ID, a Kubernetes service-account issuer) do the same with an https
# JWKS URL. Nothing here guards real data.

OAUTH_SIGNING_KEY=$TLS_DIR/oauth-signing.key
OAUTH_JWKS_FILE=$TLS_DIR/oauth-jwks.json
OAUTH_TOKEN_FILE=$TLS_DIR/oauth.token
OAUTH_ISSUER=rowkube-stack
OAUTH_AUDIENCE=rowkube-kafka
# What `stack up` mints into OAUTH_TOKEN_FILE: short-lived on purpose, as a
# real provider's would be; `stack oauth-token` mints another.
OAUTH_TOKEN_TTL=3600

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# oauth_kid PEM: the key id, from the public key's SHA-256 (stable per key).
oauth_kid() {
  openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -binary | b64url | cut -c1-16
}

oauth_keys() {
  tls_ca
  [ -s "$OAUTH_SIGNING_KEY" ] && [ -s "$OAUTH_JWKS_FILE" ] && return 0
  (
    flock 9
    [ -s "$OAUTH_SIGNING_KEY" ] && [ -s "$OAUTH_JWKS_FILE" ] && exit 0
    [ -s "$OAUTH_SIGNING_KEY" ] || {
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OAUTH_SIGNING_KEY.tmp" 2>>"$TLS_DIR/openssl.log" &&
        chmod 600 "$OAUTH_SIGNING_KEY.tmp" && mv "$OAUTH_SIGNING_KEY.tmp" "$OAUTH_SIGNING_KEY"
    } || exit 1
    # JWKS wants the modulus as unsigned big-endian bytes in base64url; openssl
    # prints it in hex. The exponent of an openssl RSA key is 65537 (AQAB).
    local modulus kid
    modulus=$(openssl rsa -in "$OAUTH_SIGNING_KEY" -noout -modulus 2>>"$TLS_DIR/openssl.log" | sed 's/^Modulus=//' |
      perl -ne 'chomp; print pack("H*", $_)' | b64url) || exit 1
    kid=$(oauth_kid "$OAUTH_SIGNING_KEY")
    printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"%s","n":"%s","e":"AQAB"}]}\n' \
      "$kid" "$modulus" > "$OAUTH_JWKS_FILE.tmp" && mv "$OAUTH_JWKS_FILE.tmp" "$OAUTH_JWKS_FILE"
    log "oauth: made the token signing key and its JWKS ($OAUTH_JWKS_FILE)"
  ) 9>"$TLS_DIR/.lock" || die "oauth: making the signing key with openssl failed (see $TLS_DIR/openssl.log)"
}

oauth_mint() {
  local ttl=$OAUTH_TOKEN_TTL sub=$KAFKA_SASL_USERNAME key=$OAUTH_SIGNING_KEY out=''
  while [ $# -gt 0 ]; do
    case "$1" in
      --ttl) ttl=$2; shift 2 ;;
      --sub) sub=$2; shift 2 ;;
      --key) key=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      *) die "oauth-token: unknown option '$1' (options: --ttl SECONDS --sub NAME --key PEM --out FILE)" ;;
    esac
  done
  [[ $ttl =~ ^-?[0-9]+$ ]] || die "oauth-token: --ttl wants whole seconds (negative: already expired), not '$ttl'"
  [[ $sub =~ ^[A-Za-z0-9._@-]+$ ]] || die "oauth-token: --sub '$sub' has characters this minter does not escape"
  [ "$key" != "$OAUTH_SIGNING_KEY" ] || oauth_keys
  [ -r "$key" ] || die "oauth-token: cannot read the signing key $key"
  # An expired token (negative ttl) was issued before it expired, as a real one would be.
  local now iat exp header payload input signature token
  now=$(date +%s)
  iat=$now
  exp=$((now + ttl))
  [ "$ttl" -gt 0 ] || iat=$((exp - 3600))
  header=$(printf '{"alg":"RS256","typ":"JWT","kid":"%s"}' "$(oauth_kid "$key")" | b64url)
  payload=$(printf '{"iss":"%s","aud":"%s","sub":"%s","iat":%d,"exp":%d,"scope":"kafka"}' \
    "$OAUTH_ISSUER" "$OAUTH_AUDIENCE" "$sub" "$iat" "$exp" | b64url)
  input=$header.$payload
  signature=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$key" -binary | b64url) ||
    die "oauth-token: signing with $key failed"
  token=$input.$signature
  if [ -z "$out" ]; then
    printf '%s\n' "$token"
  else
    # Replaced in one rename, as a kubelet or an identity agent does, so a
    # reader never sees half a token.
    mkdir -p "$(dirname "$out")"
    (umask 077 && printf '%s\n' "$token" > "$out.tmp.$$") && mv -f "$out.tmp.$$" "$out"
  fi
}

oauth_env() {
  echo "KAFKA_OAUTH_TOKEN_FILE=$OAUTH_TOKEN_FILE"
  echo "KAFKA_OAUTH_JWKS_FILE=$OAUTH_JWKS_FILE"
  echo "KAFKA_OAUTH_ISSUER=$OAUTH_ISSUER"
  echo "KAFKA_OAUTH_AUDIENCE=$OAUTH_AUDIENCE"
  echo "KAFKA_OAUTH_SUBJECT=$KAFKA_SASL_USERNAME"
  echo "# KAFKA_OAUTH_TOKEN_FILE lives $OAUTH_TOKEN_TTL s; mint another: deploy/local/stack oauth-token --out \"\$KAFKA_OAUTH_TOKEN_FILE\""
}
