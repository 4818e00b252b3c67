#!/usr/bin/env bash
# The system services and packages the test suite needs, from Debian's packages: Chromium and
# CJK fonts (browser tests; fonts-wqy-microhei for the 告知书 PDF), PostgreSQL (case store and
# tracker store) and Redis (lock store). Installs what is missing (apt-get, as root), starts the
# servers on loopback only, and writes the connection settings to var/test-services.env for `make test`. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p var
out=var/test-services.env

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || need+=(fonts-noto-cjk)
# The 信用修复告知书 PDF (fpdf2) needs a TrueType CJK font: Noto CJK is OpenType/CFF, which fpdf2
# embeds with a broken text layer; WenQuanYi Micro Hei is TrueType (bot/casestore/notice_pdf.py).
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# nginx balances the scaled layout (make run-scaled, tests/test_scaled.py); started by them only.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "错误：测试需要系统软件包 ${need[*]}，请以 root 运行 make test，或先执行：sudo apt-get install -y ${need[*]}" >&2
    echo "Error: the tests need the Debian packages ${need[*]}; run make test as root, or first: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo ">> 安装系统软件包 / installing ${need[*]}"
  apt-get update -qq
  # Debian's packages start their daemons on install (nginx on 0.0.0.0:80): forbid that while
  # installing (policy-rc.d), the servers below and the tests start their own, on loopback.
  policy=/usr/sbin/policy-rc.d; own_policy=
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; own_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [ -n "$own_policy" ]; then rm -f "$policy"; fi
fi

# PostgreSQL: the Debian cluster, loopback only, one role and database for the tests.
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_isready -q -h 127.0.0.1; then
  pg_ctlcluster "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 || { echo "错误：PostgreSQL 未能启动 / PostgreSQL did not start" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
as_pg "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='casestore_ci'\"" | grep -q 1 \
  || as_pg "psql -qc \"CREATE ROLE casestore_ci LOGIN CREATEDB PASSWORD 'casestore_ci'\""
as_pg "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='casestore_ci'\"" | grep -q 1 \
  || as_pg "createdb -O casestore_ci casestore_ci"

# Redis: reuse one on 127.0.0.1:6379, or start our own (no persistence).
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes \
    --logfile "$PWD/var/redis.log" >/dev/null
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "错误：Redis 未能启动 / Redis did not start" >&2; exit 1; }

cat > "$out" <<ENV
export TEST_DATABASE_URL=postgresql://casestore_ci:casestore_ci@127.0.0.1:5432/casestore_ci
export TEST_REDIS_URL=redis://127.0.0.1:6379/15
export CHROMIUM_PATH=$(command -v chromium)
ENV
echo ">> 测试服务就绪 / test services ready: PostgreSQL $version, Redis, $(chromium --version 2>/dev/null | head -1)"
