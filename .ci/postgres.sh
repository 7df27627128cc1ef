# A throw-away PostgreSQL cluster for the room store's tests. Source it (from .ci/run, or by hand:
# `source .ci/postgres.sh && python3 -m pytest tests/test_room_store.py`): it starts a cluster in a
# temporary folder, listening only on a Unix socket there (no TCP port to collide with), creates the
# database `room_test`, exports MNIST_TEST_PG_URL, and stops and deletes it all when the shell exits.
# Needs Debian's `postgresql` package and root (initdb refuses root, so the cluster runs as postgres).

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
PG_DIR="$(mktemp -d /tmp/mnist-pg.XXXXXX)"
chown postgres:postgres "$PG_DIR"

pg_stop() {
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap pg_stop EXIT

runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -s \
  -o "-c listen_addresses='' -k $PG_DIR -c max_connections=200" start || { cat "$PG_DIR/log" >&2; exit 1; }
runuser -u postgres -- "$PG_BIN/createdb" -h "$PG_DIR" -U postgres room_test
export MNIST_TEST_PG_URL="postgresql+psycopg2://postgres@/room_test?host=$PG_DIR"
