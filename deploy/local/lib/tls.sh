# The stack CA: one certificate authority, made with openssl, that signs the
# server (and client) certificates of the secure variants of the stack's
# services (Kafka's SASL_SSL listener, MariaDB and PostgreSQL over TLS).
# Sourced by deploy/local/stack; not a part by itself: parts call tls_issue.
#
#   tls_ca                      create the CA once (fast when present)
#   tls_issue NAME CN [SAN...]  NAME.key + NAME.crt signed by the CA, for
#                               127.0.0.1 and localhost plus the given SANs
#                               (DNS:x or IP:x); kept until the CA changes
#
# Lives in the state dir next to kube's certificates: `stack down --purge`
# throws it away with the data that trusts it.

TLS_DIR=$ROWKUBE_STATE/tls
STACK_CA_FILE=$TLS_DIR/ca.crt

tls_ca() {
  [ -s "$TLS_DIR/ca.crt" ] && [ -s "$TLS_DIR/ca.key" ] && return 0
  mkdir -p "$TLS_DIR"
  # Parts start side by side; the lock keeps two of them from making two CAs.
  (
    flock 9
    [ -s "$TLS_DIR/ca.crt" ] && [ -s "$TLS_DIR/ca.key" ] && exit 0
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=rowkube-stack-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$TLS_DIR/ca.key.tmp" -out "$TLS_DIR/ca.crt.tmp" >"$TLS_DIR/openssl.log" 2>&1 || exit 1
    chmod 600 "$TLS_DIR/ca.key.tmp"
    mv "$TLS_DIR/ca.key.tmp" "$TLS_DIR/ca.key"
    mv "$TLS_DIR/ca.crt.tmp" "$TLS_DIR/ca.crt"
    log "tls: made the stack CA ($TLS_DIR/ca.crt)"
  ) 9>"$TLS_DIR/.lock" || die "tls: making the stack CA with openssl failed (see $TLS_DIR/openssl.log)"
}

tls_issue() {
  local name=$1 cn=$2; shift 2
  tls_ca
  local crt=$TLS_DIR/$name.crt key=$TLS_DIR/$name.key
  # Reissue only when missing or signed by an older CA.
  if [ -s "$crt" ] && [ -s "$key" ] && openssl verify -CAfile "$TLS_DIR/ca.crt" "$crt" >/dev/null 2>&1; then
    return 0
  fi
  local san="IP:127.0.0.1,DNS:localhost" extra
  for extra in "$@"; do san="$san,$extra"; done
  (
    flock 9
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$key.tmp" -out "$TLS_DIR/$name.csr" &&
      openssl x509 -req -in "$TLS_DIR/$name.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" -CAcreateserial \
        -days 3650 -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san") \
        -out "$crt.tmp" &&
      chmod 644 "$key.tmp" && mv "$key.tmp" "$key" && mv "$crt.tmp" "$crt"
  ) 9>"$TLS_DIR/.lock" >"$TLS_DIR/$name.log" 2>&1 || die "tls: issuing $name with openssl failed (see $TLS_DIR/$name.log)"
}

tls_env() {
  echo "STACK_CA_FILE=$STACK_CA_FILE"
}
