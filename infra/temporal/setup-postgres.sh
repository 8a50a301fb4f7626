#!/bin/sh
# Temporal's schema steps for PostgreSQL, run by the compose file's temporal-schema service in the
# temporalio/admin-tools image (which ships temporal-sql-tool and the schema files under
# /etc/temporal/schema). scripts/temporal-cluster.sh runs the same three steps per database; each is
# a no-op on a database that has it already, so this runs on every `docker compose up`.
set -eu
for db in temporal temporal_visibility; do
  dir=/etc/temporal/schema/postgresql/v12/${db#temporal_}/versioned   # .../temporal/versioned, .../visibility/versioned
  tool="temporal-sql-tool --plugin postgres12 --ep ${POSTGRES_SEEDS} -p ${DB_PORT} -u ${POSTGRES_USER} --pw ${POSTGRES_PWD} --db ${db}"
  $tool create-database
  $tool setup-schema -v 0.0
  $tool update-schema -d "$dir"
done
