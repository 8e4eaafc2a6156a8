#!/usr/bin/env bash
# Installs Hearth: Debian/Ubuntu build dependencies, a Release build, the `hearth` binary, and (unless
# --no-systemd) a `hearth` system user, /etc/hearth/config.yaml and the hearth.service unit.
#
# From a checkout:   sudo deploy/install.sh
# One line:          curl -fsSL https://raw.githubusercontent.com/hearth-llm/hearth/main/deploy/install.sh | sudo bash
#                    (the sources are then fetched from HEARTH_SOURCE_URL, a .tar.gz of the repository)
# Re-running upgrades in place: the binary and unit are replaced, config and models are kept, and a
# running service is restarted.
#
# Options:
#   --prefix DIR       install prefix (default /usr/local): DIR/bin/hearth, DIR/share/hearth/
#   --no-systemd       no user, no unit, nothing under /etc (containers, CI, unprivileged installs)
#   --uninstall        remove what an earlier run installed; config, models and the user stay
#   --purge            with --uninstall: also remove /etc/hearth, /var/lib/hearth and the hearth user
#   --source DIR|URL   a source checkout or a .tar.gz URL (default: this checkout, else HEARTH_SOURCE_URL)
#   --build-dir DIR    where to build (default: <source>/build-install)
#   --jobs N           parallel build jobs (default: all cores)
#   --skip-deps        do not install Debian packages (they must be there already)
#   --no-start         install and enable the service, but do not (re)start it
set -euo pipefail

prefix=/usr/local
systemd=1
uninstall=0
purge=0
source_arg=""
build_dir=""
jobs=$(nproc 2>/dev/null || echo 2)
skip_deps=0
start=1
default_source_url="${HEARTH_SOURCE_URL:-https://github.com/hearth-llm/hearth/archive/refs/heads/main.tar.gz}"

die() { echo "error: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) need_value "$@"; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --no-systemd) systemd=0; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    --source) need_value "$@"; source_arg="$2"; shift 2 ;;
    --build-dir) need_value "$@"; build_dir="$2"; shift 2 ;;
    --jobs) need_value "$@"; jobs="$2"; shift 2 ;;
    --skip-deps) skip_deps=1; shift ;;
    --no-start) start=0; shift ;;
    -h|--help)
      if [[ -f "${BASH_SOURCE[0]:-}" ]]; then
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      else
        echo "usage: install.sh [--prefix DIR] [--no-systemd] [--uninstall [--purge]] [--source DIR|URL] [--build-dir DIR] [--jobs N] [--skip-deps] [--no-start]"
      fi
      exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$prefix" == /* ]] || prefix="$(pwd)/$prefix"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number"
[[ $purge -eq 0 || $uninstall -eq 1 ]] || die "--purge goes with --uninstall"

unit_path=/etc/systemd/system/hearth.service
config_dir=/etc/hearth
state_dir=/var/lib/hearth
share_dir="$prefix/share/hearth"
manifest="$share_dir/installed-files"

if [[ $systemd -eq 1 && $(id -u) -ne 0 ]]; then
  die "installing the service needs root: run with sudo, or pass --no-systemd (and a --prefix you can write)"
fi
have_systemctl() { command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; }

# ---------------------------------------------------------------------------------------------------
uninstall_hearth() {
  if [[ $systemd -eq 1 ]]; then
    if have_systemctl; then
      systemctl disable --now hearth.service >/dev/null 2>&1 || true
    fi
    rm -f "$unit_path"
    have_systemctl && systemctl daemon-reload || true
  fi
  if [[ -f "$manifest" ]]; then
    while IFS= read -r f; do
      [[ -n "$f" && "$f" == "$prefix"/* ]] && rm -f "$f"
    done < "$manifest"
    rm -f "$manifest"
  else
    rm -f "$prefix/bin/hearth"
  fi
  rmdir "$share_dir" 2>/dev/null || true
  if [[ $purge -eq 1 && $systemd -eq 1 ]]; then
    rm -rf "$config_dir" "$state_dir"
    if getent passwd hearth >/dev/null; then userdel hearth 2>/dev/null || true; fi
    if getent group hearth >/dev/null; then groupdel hearth 2>/dev/null || true; fi
  fi
  say "Hearth removed from $prefix"
  [[ $purge -eq 0 && $systemd -eq 1 ]] && say "kept $config_dir and $state_dir (models); --purge removes them"
  return 0
}

if [[ $uninstall -eq 1 ]]; then
  uninstall_hearth
  exit 0
fi

# --- sources -----------------------------------------------------------------------------------------
script_dir=""
if [[ -n "${BASH_SOURCE[0]:-}" && -f "${BASH_SOURCE[0]}" ]]; then
  script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fi
is_checkout() { [[ -f "$1/CMakeLists.txt" ]] && grep -q 'project(hearth' "$1/CMakeLists.txt"; }
src=""
cleanup_dirs=()
cleanup() { for d in "${cleanup_dirs[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT
if [[ -n "$source_arg" && -d "$source_arg" ]]; then
  src="$(cd "$source_arg" && pwd)"
elif [[ -z "$source_arg" && -n "$script_dir" ]] && is_checkout "$script_dir/.."; then
  src="$(cd "$script_dir/.." && pwd)"
else
  url="${source_arg:-$default_source_url}"
  command -v curl >/dev/null || die "curl is needed to download the sources ($url)"
  tmp="$(mktemp -d)"
  cleanup_dirs+=("$tmp")
  say "downloading $url"
  curl -fsSL "$url" | tar -xz -C "$tmp" || die "cannot download or unpack $url"
  src="$(find "$tmp" -mindepth 1 -maxdepth 2 -name CMakeLists.txt -printf '%h\n' | head -n1)"
  [[ -n "$src" ]] && is_checkout "$src" || die "$url does not contain the Hearth sources"
  [[ -n "$build_dir" ]] || build_dir="$tmp/build"
fi
is_checkout "$src" || die "$src is not a Hearth source tree"
[[ -n "$build_dir" ]] || build_dir="$src/build-install"

# --- dependencies, build -----------------------------------------------------------------------------
if [[ $skip_deps -eq 0 ]]; then
  say "checking build dependencies"
  "$src/deploy/install-deps.sh"
fi
for tool in cmake ninja c++; do command -v "$tool" >/dev/null || die "$tool is missing (drop --skip-deps)"; done

say "building Hearth (Release) in $build_dir"
if [[ -f "$build_dir/CMakeCache.txt" ]]; then
  # An existing build folder (an upgrade, or a developer's tree) keeps its own configuration.
  cmake -S "$src" -B "$build_dir" >/dev/null
else
  cmake -S "$src" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DHEARTH_BUILD_TESTS=OFF -DHEARTH_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build_dir" --target hearth --parallel "$jobs"
built="$build_dir/src/cli/hearth"
[[ -x "$built" ]] || die "the build did not produce $built"
"$built" --version >/dev/null || die "the freshly built hearth does not run"

# --- install -----------------------------------------------------------------------------------------
# Each file is copied beside its destination and renamed over it: a running hearth keeps its old
# binary, and an interrupted install never leaves half a file.
install_file() {  # mode source destination
  local tmp_dest
  mkdir -p "$(dirname "$3")"
  tmp_dest="$(dirname "$3")/.$(basename "$3").new.$$"
  install -m "$1" "$2" "$tmp_dest"
  mv -f "$tmp_dest" "$3"
  echo "$3" >> "$manifest.new"
}
mkdir -p "$share_dir"
: > "$manifest.new"
say "installing to $prefix"
install_file 0755 "$built" "$prefix/bin/hearth"
install_file 0644 "$src/deploy/config.yaml" "$share_dir/config.yaml.example"
install_file 0644 "$src/deploy/hearth.service" "$share_dir/hearth.service"
mv -f "$manifest.new" "$manifest"

if [[ $systemd -eq 0 ]]; then
  say "installed $prefix/bin/hearth (no service: --no-systemd)"
  exit 0
fi

# --- service -----------------------------------------------------------------------------------------
if ! getent group hearth >/dev/null; then groupadd --system hearth; fi
if ! getent passwd hearth >/dev/null; then
  useradd --system --gid hearth --home-dir "$state_dir" --no-create-home --shell /usr/sbin/nologin \
    --comment "Hearth inference server" hearth
fi
install -d -m 0750 -o hearth -g hearth "$state_dir" "$state_dir/models"
install -d -m 0755 "$config_dir"
if [[ ! -f "$config_dir/config.yaml" ]]; then
  install -m 0640 -o root -g hearth "$src/deploy/config.yaml" "$config_dir/config.yaml"
else
  say "keeping $config_dir/config.yaml (the new example is $share_dir/config.yaml.example)"
fi
if [[ ! -f "$config_dir/hearth.env" ]]; then
  printf '%s\n' "# HEARTH_* overrides for hearth.service, e.g.:" "# HEARTH_MODEL=qwen3:30b-a3b" > "$config_dir/hearth.env"
  chmod 0640 "$config_dir/hearth.env"
  chgrp hearth "$config_dir/hearth.env"
fi
unit_tmp="$(dirname "$unit_path")/.hearth.service.new.$$"
sed "s|^ExecStart=/usr/local/bin/hearth |ExecStart=$prefix/bin/hearth |" "$src/deploy/hearth.service" > "$unit_tmp"
chmod 0644 "$unit_tmp"
mv -f "$unit_tmp" "$unit_path"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify "$unit_path" || die "systemd-analyze rejects $unit_path"
fi
if have_systemctl; then
  systemctl daemon-reload
  systemctl enable hearth.service >/dev/null 2>&1
  if [[ $start -eq 1 ]]; then
    systemctl restart hearth.service || say "hearth.service did not start: see journalctl -u hearth"
  fi
  say "installed; systemctl status hearth shows the service"
else
  say "installed $unit_path (systemd is not running here: enable it with systemctl enable --now hearth)"
fi
