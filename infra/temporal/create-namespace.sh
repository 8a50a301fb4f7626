#!/bin/sh
# Registers the namespace once the frontend answers (the compose file's temporal-namespace service);
# scripts/temporal-cluster.sh does the same with the same CLI commands.
set -eu
until temporal operator cluster health --address "${TEMPORAL_ADDRESS}"; do sleep 2; done
temporal operator namespace describe --namespace "${NAMESPACE}" --address "${TEMPORAL_ADDRESS}" \
  || temporal operator namespace create --namespace "${NAMESPACE}" --retention 72h --address "${TEMPORAL_ADDRESS}"
