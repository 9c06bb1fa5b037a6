#!/usr/bin/env bash
# Checks the layering rule from the source: a file may include headers of its own folder and
# of the folders its folder depends on (directly or through other folders), never of a folder
# above it. The allowed dependencies are the table in docs/architecture.md (the block between
# the "layers:begin" and "layers:end" markers), so the doc and the check cannot drift apart.
# The build enforces the same rule (each target sees only the folders it links); this script
# names the offending line, and runs in scripts/test.sh. Exit 1 on any violation.
set -euo pipefail
cd "$(dirname "$0")/.."

table=$(sed -n '/<!-- layers:begin -->/,/<!-- layers:end -->/p' docs/architecture.md |
        grep -E '^[a-z][a-z_/*-]*:' || true)
if [ -z "$table" ]; then
  echo "check-layers: no layer table in docs/architecture.md" >&2
  exit 1
fi

declare -A direct=()
folders=()
while IFS=: read -r folder deps; do
  direct[$folder]=$(echo "$deps" | xargs)
  folders+=("$folder")
done <<< "$table"

# Everything a folder may include: its own folder and the closure of its dependencies.
declare -A allowed=()
closure() {
  local -A seen=([$1]=1)
  local queue=("$1") next dep
  while [ ${#queue[@]} -gt 0 ]; do
    next=${queue[0]}
    queue=("${queue[@]:1}")
    for dep in ${direct[$next]:-}; do
      if [ -z "${direct[$dep]+known}" ]; then
        echo "check-layers: '$next' depends on '$dep', which the table does not list" >&2
        exit 1
      fi
      if [ -z "${seen[$dep]:-}" ]; then
        seen[$dep]=1
        queue+=("$dep")
      fi
    done
  done
  echo "${!seen[@]}"
}
for folder in "${folders[@]}"; do allowed[$folder]=" $(closure "$folder") "; done

# The table entry a path belongs to: the longest folder (or "plugins/*" pattern) containing it.
owner() {
  local path=$1 best="" folder
  for folder in "${folders[@]}"; do
    if [[ "$folder" == *"/*" ]]; then
      [[ "$path" == ${folder%/\*}/*/* ]] || continue
    else
      [[ "$path" == "$folder"/* ]] || continue
    fi
    [ ${#folder} -gt ${#best} ] && best=$folder
  done
  echo "$best"
}

# A plugin may include its own folder; "plugins/*" stands for each plugin's folder.
same_plugin() {
  local from=$1 to=$2
  [[ "$from" == plugins/* && "$(cut -d/ -f1-2 <<< "$from")" == "$(cut -d/ -f1-2 <<< "$to")" ]]
}

violations=0
while IFS= read -r file; do
  from=$(owner "$file")
  [ -n "$from" ] || continue
  while IFS= read -r line; do
    number=${line%%:*}
    header=$(sed -E 's/.*#include [<"]([^>"]+)[>"].*/\1/' <<< "$line")
    case "$line" in
      *'#include <keepdb/'*) header="include/$header" ;;
      *'#include "'*) ;;
      *) continue ;;
    esac
    to=$(owner "$header")
    [ -n "$to" ] || { echo "$file:$number: includes $header, which belongs to no layer"; violations=$((violations + 1)); continue; }
    same_plugin "$file" "$header" && continue
    if [[ "${allowed[$from]}" != *" $to "* ]]; then
      echo "$file:$number: $from may not include $header (layer $to)"
      violations=$((violations + 1))
    fi
  done < <(grep -nE '^\s*#\s*include\s*[<"]' "$file" || true)
done < <(git ls-files 'include/*' 'util/*' 'storage/*' 'kernel/*' 'plugins/*' |
         grep -E '\.(h|hpp|c|cc|cpp)$')

if [ "$violations" -gt 0 ]; then
  echo "check-layers: $violations include(s) run up the layers (table: docs/architecture.md)" >&2
  exit 1
fi
echo "check-layers: every include follows docs/architecture.md"
