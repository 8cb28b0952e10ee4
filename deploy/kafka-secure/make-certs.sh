#!/usr/bin/env bash
# A private CA and the broker's TLS key pair for docker-compose.secure.yml, written to
# deploy/kafka-secure/certs/ (never committed). Clients trust ca.crt (MIXFLOW_KAFKA__SSL_CAFILE);
# the broker reads kafka.p12. Use your organisation's CA in production instead.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p certs && cd certs
: "${MIXFLOW_KAFKA_KEYSTORE_PASSWORD:?set MIXFLOW_KAFKA_KEYSTORE_PASSWORD}"
openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj "/CN=mixflow Kafka CA" \
  -keyout ca.key -out ca.crt
openssl req -newkey rsa:3072 -nodes -subj "/CN=kafka" -keyout kafka.key -out kafka.csr
printf "subjectAltName=DNS:kafka,DNS:localhost\n" > san.ext
openssl x509 -req -in kafka.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
  -extfile san.ext -out kafka.crt
openssl pkcs12 -export -in kafka.crt -inkey kafka.key -certfile ca.crt -name kafka \
  -passout "pass:${MIXFLOW_KAFKA_KEYSTORE_PASSWORD}" -out kafka.p12
chmod 600 ca.key kafka.key kafka.p12
echo "certs/ca.crt (for clients) and certs/kafka.p12 (for the broker) written"
