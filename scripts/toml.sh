# shellcheck shell=bash
# set_toml FILE SECTION KEY VALUE sets KEY = VALUE in [SECTION] of a TOML file
# such as CometBFT's config.toml (which `meshd config set` does not edit).
# VALUE is written as given: quote strings ("\"x\""). Fails if KEY is absent.
set_toml() {
  local file=$1 section=$2 key=$3 value=$4
  awk -v s="[$section]" -v k="$key" -v v="$value" '
    /^\[/ { in_s = ($0 == s) }
    in_s && $1 == k && $2 == "=" { print k " = " v; next }
    { print }' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
  grep -qF "$key = $value" "$file" || { echo "could not set $section.$key in $file" >&2; return 1; }
}
