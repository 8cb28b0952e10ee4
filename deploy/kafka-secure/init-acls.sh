#!/usr/bin/env bash
# Creates mixflow's SCRAM-SHA-512 users and their ACLs on the secured broker of
# docker-compose.secure.yml. Runs once, in the broker's network namespace, against the broker's
# loopback-only INTERNAL listener (the only listener without SASL; nothing outside the broker's
# container can reach it). Idempotent: users are upserted, ACLs added again are no-ops.
#
# Every service has its own principal and only the operations it uses; agencies may only
# produce to the inbound and referral-update topics. Passwords come from the environment.
set -euo pipefail

BOOTSTRAP=127.0.0.1:19092
BIN=/opt/kafka/bin
PREFIX="${MIXFLOW_TOPIC_PREFIX:-}"

user() {  # user <name> <password>
  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --alter --entity-type users \
    --entity-name "$1" --add-config "SCRAM-SHA-512=[iterations=8192,password=$2]"
}

acl() {  # acl <principal> <operation> <resource options...>
  local principal=$1 operation=$2
  shift 2
  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --add --allow-principal "User:$principal" \
    --operation "$operation" "$@"
}

topic() { echo "--topic ${PREFIX}mixflow.$1"; }

user admin "${MIXFLOW_KAFKA_ADMIN_PASSWORD:?}"
user init "${MIXFLOW_KAFKA_INIT_PASSWORD:?}"
user router "${MIXFLOW_KAFKA_ROUTER_PASSWORD:?}"
user casework "${MIXFLOW_KAFKA_CASEWORK_PASSWORD:?}"
user flows "${MIXFLOW_KAFKA_FLOWS_PASSWORD:?}"
user ingest "${MIXFLOW_KAFKA_INGEST_PASSWORD:?}"
user rules-api "${MIXFLOW_KAFKA_RULES_API_PASSWORD:?}"
user cases-api "${MIXFLOW_KAFKA_CASES_API_PASSWORD:?}"
user flows-api "${MIXFLOW_KAFKA_FLOWS_API_PASSWORD:?}"

# init (`mixflow init`): creates the topics, publishes the default ruleset once.
acl init Create --cluster
acl init Describe --topic "${PREFIX}mixflow." --resource-pattern-type prefixed
acl init Read $(topic rules)
acl init Write $(topic rules)

# router: inbound -> decisions, dead letters, forwarded referral updates; its dedup memory.
acl router Read $(topic events.inbound) $(topic rules) $(topic router.dedup)
acl router Write $(topic decisions) $(topic events.deadletter) $(topic referral-updates) $(topic router.dedup)
acl router Create $(topic router.dedup)
acl router Describe --topic "${PREFIX}mixflow." --resource-pattern-type prefixed
acl router Read --group "${PREFIX}mixflow-router"
acl router All --group "${PREFIX}router-worker" --topic "${PREFIX}router-worker-" --resource-pattern-type prefixed

# casework: decisions and referral updates -> case changes, alerts, dead letters.
acl casework Read $(topic decisions) $(topic referral-updates)
acl casework Write $(topic cases.changes) $(topic alerts) $(topic events.deadletter)
acl casework Describe --topic "${PREFIX}mixflow." --resource-pattern-type prefixed
acl casework Read --group "${PREFIX}mixflow-casework"
acl casework All --group "${PREFIX}casework-worker" --topic "${PREFIX}casework-worker-" --resource-pattern-type prefixed

# flows: decisions and case changes -> suppressed aggregates.
acl flows Read $(topic decisions) $(topic cases.changes)
acl flows Write $(topic flows.aggregates)
acl flows Describe --topic "${PREFIX}mixflow." --resource-pattern-type prefixed
acl flows Read --group "${PREFIX}mixflow-flows"
acl flows All --group "${PREFIX}flows-worker" --topic "${PREFIX}flows-worker-" --resource-pattern-type prefixed

# ingest API: publishes accepted events only.
acl ingest Write $(topic events.inbound)
acl ingest Describe $(topic events.inbound)

# rules API: publishes rulesets; simulations read recent inbound events.
acl rules-api Write $(topic rules)
acl rules-api Read $(topic rules) $(topic events.inbound)
acl rules-api Describe $(topic rules) $(topic events.inbound)

# cases and flows APIs read the database only: their principals exist and are granted nothing.

# Agencies that publish over Kafka: produce to inbound and referral updates, nothing else.
for agency in ${MIXFLOW_KAFKA_AGENCIES:-}; do
  name="agency-$(echo "$agency" | tr '[:upper:]' '[:lower:]')"
  variable="MIXFLOW_KAFKA_AGENCY_$(echo "$agency" | tr '[:lower:]-' '[:upper:]_')_PASSWORD"
  user "$name" "${!variable:?set $variable}"
  acl "$name" Write $(topic events.inbound) $(topic referral-updates)
  acl "$name" Describe $(topic events.inbound) $(topic referral-updates)
done

"$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --list
